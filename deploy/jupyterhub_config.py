"""JupyterHub for one class of the mlkit course, on one machine.

Start it with ``make hub`` (a trial on 127.0.0.1) or ``python deploy/hub.py --mode class`` (real accounts);
``deploy/hub.py`` prepares the folders and sets the ``MLKIT_HUB_*`` variables this file reads:

MLKIT_HUB_STATE        folder for the hub's database, cookie secret, the nbgrader exchange and (trial) homes
MLKIT_HUB_PORT         the port users open (the proxy listens on 127.0.0.1 unless MLKIT_HUB_IP says otherwise)
MLKIT_HUB_MODE         "trial": accounts exist only in the hub, one shared password, every server runs as the
                       user who started the hub (no isolation: try the course out, never grade real students);
                       "class": system accounts (PAM log-in) and one server per account, run as that account
MLKIT_HUB_INSTRUCTORS  comma-separated user names who get the course directory and formgrader
MLKIT_HUB_STUDENTS     comma-separated user names allowed to log in as students
MLKIT_HUB_PASSWORD     (trial) the shared password

Every single-user server runs JupyterLab from the course's virtualenv, with the nbgrader extensions: students
see the Assignments tab (fetch, validate, submit, fetch feedback) and instructors the Formgrader. The exchange
is a folder shared by all users of this machine. See deploy/README.md and INSTRUCTORS.md.
"""

import json
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by JupyterHub when it loads this file

DEPLOY = Path(__file__).resolve().parent
COURSE_ID = "mlkit"
STATE = Path(os.environ["MLKIT_HUB_STATE"]).resolve()
EXCHANGE = STATE / "exchange"
MODE = os.environ.get("MLKIT_HUB_MODE", "trial")
INSTRUCTORS = {u for u in os.environ.get("MLKIT_HUB_INSTRUCTORS", "instructor").split(",") if u}
STUDENTS = {u for u in os.environ.get("MLKIT_HUB_STUDENTS", "").split(",") if u}
VENV_BIN = Path(sys.executable).parent  # the hub runs from the course's virtualenv; so do the users' servers

# --- network: users reach the proxy; the hub and the proxy's API stay on the loopback interface
c.JupyterHub.ip = os.environ.get("MLKIT_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("MLKIT_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("MLKIT_HUB_INTERNAL_PORT", c.JupyterHub.port + 1))
PROXY_API_PORT = int(os.environ.get("MLKIT_HUB_PROXY_API_PORT", c.JupyterHub.port + 2))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
# configurable-http-proxy comes from npm, installed into deploy/node_modules by deploy/hub.py
c.ConfigurableHTTPProxy.command = [str(DEPLOY / "node_modules" / ".bin" / "configurable-http-proxy")]

# --- the hub's own files
c.JupyterHub.db_url = os.environ.get("MLKIT_HUB_DB_URL", f"sqlite:///{STATE / 'jupyterhub.sqlite'}")
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")

# --- accounts
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
c.Authenticator.admin_users = set(INSTRUCTORS)
if MODE == "trial":
    c.JupyterHub.authenticator_class = "shared-password"
    c.SharedPasswordAuthenticator.user_password = os.environ["MLKIT_HUB_PASSWORD"]
    # in a trial the instructor logs in with the same password, as an ordinary hub user
    c.Authenticator.admin_users = set()
    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
else:
    c.JupyterHub.authenticator_class = "pam"
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"

# --- each user's server: JupyterLab with the nbgrader extensions, from the course's virtualenv
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    # nbgrader runs its own command-line tools (and alembic) from PATH
    "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    # one BLAS thread per process: many students share the machine's cores
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
if os.geteuid() == 0 and MODE == "trial":
    c.Spawner.args = ["--allow-root"]  # trial servers run as the user who started the hub
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60


def nbgrader_config(user: str, home: Path) -> str:
    """The nbgrader settings a user's server needs: the course, the exchange and, for an instructor, where the
    course directory is."""
    lines = [
        "c = get_config()  # noqa: F821",
        f"c.CourseDirectory.course_id = {COURSE_ID!r}",
        f"c.Exchange.root = {str(EXCHANGE)!r}",
    ]
    if user in INSTRUCTORS:
        lines.append(f"c.CourseDirectory.root = {str(home / COURSE_ID)!r}")
    elif MODE == "trial":
        # trial servers all run as one system user: name the student, or nbgrader would use that user's name
        lines.append(f"c.CourseDirectory.student_id = {user!r}")
    return "\n".join(lines) + "\n"


# What only instructors see: formgrader and the assignment-creation tools. Students' servers turn them off, both
# the server extension (its pages and API) and the JupyterLab panels.
INSTRUCTOR_ONLY_SERVER = ["nbgrader.server_extensions.formgrader"]
INSTRUCTOR_ONLY_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                       "@jupyter/nbgrader:course-list"]


def user_files(user: str, home: Path) -> dict[str, str]:
    """The files written into a user's home before the server starts, by path relative to the home."""
    files = {".jupyter/nbgrader_config.py": nbgrader_config(user, home),
             # the machine is offline for users' purposes: no news or update checks from JupyterLab
             ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                 json.dumps({"fetchNews": "false", "checkForUpdates": False})}
    if user not in INSTRUCTORS:
        files[".jupyter/jupyter_server_config.json"] = json.dumps(
            {"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_ONLY_SERVER}}})
        files[".jupyter/labconfig/page_config.json"] = json.dumps(
            {"disabledExtensions": {name: True for name in INSTRUCTOR_ONLY_LAB}})
    return files


def write_user_files(spawner) -> None:
    """Before a server starts: write the user's Jupyter and nbgrader settings (an instructor's course directory
    is prepared by deploy/hub.py)."""
    user = spawner.user.name
    home = Path(spawner.home_dir) if MODE == "trial" else Path(os.path.expanduser(f"~{user}"))
    owner = None
    if MODE == "class":
        import pwd
        entry = pwd.getpwnam(user)
        owner = (entry.pw_uid, entry.pw_gid)
    for relative, text in user_files(user, home).items():
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if owner is not None:
            for part in [Path(relative), *Path(relative).parents]:  # the file and the folders made for it
                os.chown(home / part, *owner)


c.Spawner.pre_spawn_hook = write_user_files
