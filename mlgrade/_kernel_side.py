"""The code the judge sends into the student's kernel for one request (its *source text*; never imported
there: the sandbox has no mlgrade). It is appended to the source of mlgrade/wire.py, whose ``encode`` and
``_decode`` it uses, and runs in a namespace of its own.

A request is JSON: ``{"code": str, "inputs": [[name, encoded value], ...], "returns": [names]}``. The code is
the judge's (for example ``result = linear_forward(X, W, b)``); it runs in a copy of the student's global
namespace with the inputs added, and the named results go back as one display message of the MIME type
``mime``. Student code is free to interfere with all of this; the worst it can do is send back data of its
choosing, which is what its function could have returned anyway.
"""


def _run(user_ns, request, publish):
    import json as _json

    req = _json.loads(request)
    ns = dict(user_ns)
    for name, value in req["inputs"]:
        ns[name] = _decode(value, 0)  # noqa: F821 -- defined by wire.py's source, sent first
    try:
        exec(compile(req["code"], "<grader>", "exec"), ns)
        values = [encode(ns[name]) if name in ns else {"t": "opaque", "type": "nothing"}  # noqa: F821
                  for name in req["returns"]]
        reply = {"ok": True, "values": values}
    except KeyboardInterrupt:  # the judge's time limit: let the kernel report it
        raise
    except BaseException as err:  # noqa: BLE001 -- SystemExit too: the student's function ended early
        reply = {"ok": False, "error": type(err).__name__, "message": str(err)[:2000]}
    publish(_json.dumps(reply))
