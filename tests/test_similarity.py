"""The similarity report (mlgrade.similarity, ``python -m mlgrade similarity``) on made-up submissions.

A temporary course holds exercise 03's source and release notebooks (copied from the repository) and
submissions made from the release with their solution cells filled:

- alice: the reference solution with every variable renamed and the comments rewritten     -> ~ reference
- bob, bea: the same (non-reference) code, bea's reformatted, renamed, re-quoted            -> ~ each other
- carl, dana: two honest solutions written independently (every function differs)           -> nothing
- olga, otto: two honest solutions, each the most obvious code for every function            -> nothing
- fred: the release, untouched                                                              -> 0
- erin: part 4 pasted from mlkit/gradcheck.py, parts 2-3 not done                           -> ~ mlkit/gradcheck.py

No nbgrader run: the notebooks are JSON, and the submissions' code is checked against the visible tests
by executing their cells directly.
"""

import copy
import csv
import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from mlgrade.similarity import (CSV_COLUMNS, DEFAULT_THRESHOLD, reference_code, similarity_report,
                                solution_code, strip_stub)

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "03_backprop"

# Bodies that replace the stub of each solution cell (grade_id -> code, written at indentation 0).
ALICE = {  # the reference, variables renamed, comments changed
    "linear_forward": """
        # matrix product, then add the bias to each row
        return np.asarray(X, dtype=float) @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float)
    """,
    "linear_backward": """
        inputs, weights, upstream = (np.asarray(arr, dtype=float) for arr in (X, W, G))  # floats everywhere
        return upstream @ weights.T, inputs.T @ upstream, upstream.sum(axis=0)
    """,
    "worked_example_step": """
        net1 = x @ W1 + b1
        out1 = np.maximum(net1, 0.0)     # relu
        net2 = out1 @ W2 + b2
        out2 = net2
        sens2 = -2.0 * (y - out2) * 1.0  # derivative of the squared error
        sens1 = (sens2 @ W2.T) * (net1 > 0)
        return {
            "n1": net1, "a1": out1, "a2": out2, "s2": sens2, "s1": sens1,
            "W1": W1 - lr * x.T @ sens1, "b1": b1 - lr * sens1.sum(axis=0),
            "W2": W2 - lr * out1.T @ sens2, "b2": b2 - lr * sens2.sum(axis=0),
        }
    """,
    "mlp_forward": """
        hidden_net = linear_forward(X, params["W1"], params["b1"])
        hidden_out = np.maximum(hidden_net, 0.0)   # ReLU
        output = linear_forward(hidden_out, params["W2"], params["b2"])
        return hidden_net, hidden_out, output
    """,
    "mlp_backward": """
        out, target = np.asarray(A2, dtype=float), np.asarray(Y, dtype=float)
        delta_out = 2.0 * (out - target) / out.size           # dL/dN2
        d_hidden, grad_W2, grad_b2 = linear_backward(A1, params["W2"], delta_out)
        delta_hidden = d_hidden * (np.asarray(N1) > 0)          # through the ReLU
        _, grad_W1, grad_b1 = linear_backward(X, params["W1"], delta_hidden)
        return {"W1": grad_W1, "b1": grad_b1, "W2": grad_W2, "b2": grad_b2}
    """,
    "numerical_gradient": """
        g = np.zeros(x.shape, dtype=float)
        for pos in np.ndindex(x.shape):
            saved = x[pos]
            x[pos] = saved + eps
            up = float(f())
            x[pos] = saved - eps
            down = float(f())
            x[pos] = saved          # put it back exactly
            g[pos] = (up - down) / (2.0 * eps)
        return g
    """,
    "relative_error": """
        u, v = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        biggest = max(np.max(np.abs(u), initial=0.0), np.max(np.abs(v), initial=0.0))
        if biggest == 0.0:
            return 0.0
        return float(np.max(np.abs(u - v)) / biggest)
    """,
}

BOB = {  # his own code, shared with bea
    "linear_forward": """
        out = np.dot(X, W)
        out = out + np.reshape(b, (1, -1))
        return out
    """,
    "linear_backward": """
        grad_X = np.dot(G, np.transpose(W))
        grad_W = np.dot(np.transpose(X), G)
        grad_b = np.sum(G, axis=0)
        return grad_X, grad_W, grad_b
    """,
    "worked_example_step": """
        n1 = np.dot(x, W1) + b1
        a1 = np.where(n1 > 0, n1, 0.0)
        a2 = np.dot(a1, W2) + b2
        s2 = 2.0 * (a2 - y)
        s1 = np.dot(s2, np.transpose(W2)) * np.where(n1 > 0, 1.0, 0.0)
        result = dict(n1=n1, a1=a1, a2=a2, s2=s2, s1=s1)
        result.update(W2=W2 - lr * np.dot(np.transpose(a1), s2), b2=b2 - lr * np.sum(s2, axis=0))
        result.update(W1=W1 - lr * np.dot(np.transpose(x), s1), b1=b1 - lr * np.sum(s1, axis=0))
        return result
    """,
    "mlp_forward": """
        N1 = np.dot(X, params["W1"]) + params["b1"]
        A1 = np.where(N1 > 0, N1, 0.0)
        A2 = np.dot(A1, params["W2"]) + params["b2"]
        return N1, A1, A2
    """,
    "mlp_backward": """
        n, k = np.shape(A2)
        S2 = 2.0 * (A2 - Y) / (n * k)
        grads = {}
        grads["W2"] = np.dot(np.transpose(A1), S2)
        grads["b2"] = np.sum(S2, axis=0)
        S1 = np.dot(S2, np.transpose(params["W2"])) * np.where(N1 > 0, 1.0, 0.0)
        grads["W1"] = np.dot(np.transpose(X), S1)
        grads["b1"] = np.sum(S1, axis=0)
        return grads
    """,
    "numerical_gradient": """
        g = np.zeros_like(x, dtype=np.float64)
        it = np.nditer(x, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            saved = x[i]
            x[i] = saved + eps
            up = f()
            x[i] = saved - eps
            down = f()
            x[i] = saved
            g[i] = (up - down) / (2 * eps)
        return g
    """,
    "relative_error": """
        diff = np.max(np.abs(a - b))
        scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
        if scale == 0:
            return 0.0
        return float(diff / scale)
    """,
}

BEA = {  # bob's code: other names, other comments, other quotes, wrapped and spaced differently
    "linear_forward": """
        # <script>alert("copied")</script>
        res = np.dot( X,W )
        res = res+np.reshape( b,(1,-1) )
        return res
    """,
    "linear_backward": """
        dx = np.dot(G,
                    np.transpose(W))
        dw = np.dot(np.transpose(X),
                    G)
        db = np.sum(G,axis=0)
        return dx,dw,db
    """,
    "worked_example_step": """
        z1 = np.dot(x,W1)+b1
        h1 = np.where(z1>0,z1,0.0)
        h2 = np.dot(h1,W2)+b2
        d2 = 2.0*(h2-y)    # output delta
        d1 = np.dot(d2, np.transpose(W2))*np.where(z1>0, 1.0, 0.0)
        out = dict(n1=z1, a1=h1, a2=h2, s2=d2, s1=d1)
        out.update(W2=W2-lr*np.dot(np.transpose(h1),d2),
                   b2=b2-lr*np.sum(d2,axis=0))
        out.update(W1=W1-lr*np.dot(np.transpose(x),d1),
                   b1=b1-lr*np.sum(d1,axis=0))
        return out
    """,
    "mlp_forward": """
        Z = np.dot(X, params['W1']) + params['b1']
        H = np.where(Z > 0, Z, 0.0)
        O = np.dot(H, params['W2']) + params['b2']
        return Z, H, O
    """,
    "mlp_backward": """
        rows, cols = np.shape(A2)
        D2 = 2.0*(A2-Y)/(rows*cols)
        g = {}
        g['W2'] = np.dot(np.transpose(A1), D2)
        g['b2'] = np.sum(D2, axis=0)
        D1 = np.dot(D2, np.transpose(params['W2'])) * np.where(N1>0, 1.0, 0.0)
        g['W1'] = np.dot(np.transpose(X), D1)
        g['b1'] = np.sum(D1, axis=0)
        return g
    """,
    "numerical_gradient": """
        out = np.zeros_like(x, dtype=np.float64)
        iterator = np.nditer(x, flags=['multi_index'])
        for _ in iterator:
            j = iterator.multi_index
            v = x[j]
            x[j] = v+eps; plus = f()
            x[j] = v-eps; minus = f()
            x[j] = v
            out[j] = (plus-minus)/(2*eps)
        return out
    """,
    "relative_error": """
        d = np.max(np.abs(a-b))
        s = max(np.max(np.abs(a)),np.max(np.abs(b)))
        if s==0: return 0.0
        return float(d/s)
    """,
}

CARL = {  # honest: einsum, clip, loops over the two layers, ndenumerate
    "linear_forward": """
        return np.einsum("nd,dm->nm", X, W) + b
    """,
    "linear_backward": """
        dX = np.einsum("nm,dm->nd", G, W)
        dW = np.einsum("nd,nm->dm", X, G)
        db = np.einsum("nm->m", G)
        return dX, dW, db
    """,
    "worked_example_step": """
        n1 = x.dot(W1) + b1
        a1 = n1.clip(min=0)
        a2 = a1.dot(W2) + b2
        s2 = -2 * (y - a2)
        s1 = s2.dot(W2.T) * (n1 > 0).astype(float)
        out = {"n1": n1, "a1": a1, "a2": a2, "s2": s2, "s1": s1}
        for name, inp, sens in [("1", x, s1), ("2", a1, s2)]:
            W, b = {"1": (W1, b1), "2": (W2, b2)}[name]
            out["W" + name] = W - lr * inp.T.dot(sens)
            out["b" + name] = b - lr * sens[0]
        return out
    """,
    "mlp_forward": """
        hidden = X.dot(params["W1"]) + params["b1"]
        return hidden, hidden.clip(min=0), hidden.clip(min=0).dot(params["W2"]) + params["b2"]
    """,
    "mlp_backward": """
        grads = {}
        delta = (A2 - Y) * (2 / Y.size)
        for layer, inp in (("2", A1), ("1", X)):
            grads["W" + layer] = inp.T.dot(delta)
            grads["b" + layer] = delta.sum(0)
            if layer == "2":
                delta = delta.dot(params["W2"].T) * (N1 > 0)
        return grads
    """,
    "numerical_gradient": """
        grad = np.zeros_like(x, dtype=float)
        for pos, original in np.ndenumerate(x):
            x[pos] = original + eps
            fp = f()
            x[pos] = original - eps
            fm = f()
            x[pos] = original
            grad[pos] = 0.5 * (fp - fm) / eps
        return grad
    """,
    "relative_error": """
        a = np.asarray(a, dtype=float).ravel()
        b = np.asarray(b, dtype=float).ravel()
        largest = np.concatenate([np.abs(a), np.abs(b)]).max(initial=0.0)
        return 0.0 if largest == 0 else float(np.abs(a - b).max() / largest)
    """,
}

DANA = {  # honest: loops over samples, numbers typed in, heaviside, unravel_index
    "linear_forward": """
        Y = np.zeros((len(X), W.shape[1]))
        for i, row in enumerate(X):
            Y[i] = row @ W + b
        return Y
    """,
    "linear_backward": """
        dW = np.zeros(W.shape)
        for xi, gi in zip(X, G):
            dW += np.outer(xi, gi)
        return G @ W.T, dW, G.sum(axis=0)
    """,
    "worked_example_step": """
        # worked out on paper: n1 = a1 = [2, 2], a2 = 4, s2 = 2 (a2 - y) = 8, s1 = [8, 8]
        return {
            "n1": np.array([[2.0, 2.0]]), "a1": np.array([[2.0, 2.0]]), "a2": np.array([[4.0]]),
            "s2": np.array([[8.0]]), "s1": np.array([[8.0, 8.0]]),
            "W1": np.full((2, 2), 0.2), "b1": np.array([-0.8, -0.8]),
            "W2": np.array([[-0.6], [-0.6]]), "b2": np.array([-0.8]),
        }
    """,
    "mlp_forward": """
        first = X @ params["W1"] + params["b1"]
        relu = first * (first > 0)
        return first, relu, relu @ params["W2"] + params["b2"]
    """,
    "mlp_backward": """
        n, k = np.shape(A2)
        delta2 = (A2 - Y) * 2.0 / (n * k)
        delta1 = (delta2 @ params["W2"].T) * np.heaviside(N1, 0.0)
        return {"W2": A1.T @ delta2, "b2": delta2.sum(axis=0), "W1": X.T @ delta1, "b1": delta1.sum(axis=0)}
    """,
    "numerical_gradient": """
        grad = np.empty(x.shape, dtype=np.float64)
        for flat_index in range(x.size):
            where = np.unravel_index(flat_index, x.shape)
            keep = x[where]
            x[where] = keep + eps
            high = f()
            x[where] = keep - eps
            low = f()
            x[where] = keep
            grad[where] = (high - low) / eps / 2
        return grad
    """,
    "relative_error": """
        worst = np.abs(np.subtract(a, b)).max()
        denom = np.maximum(np.abs(a).max(), np.abs(b).max())
        return 0.0 if denom == 0 else float(worst / denom)
    """,
}

OLGA = {  # honest, the most obvious code for every function: the instructions nearly dictate it
    "linear_forward": """
        return X @ W + b
    """,
    "linear_backward": """
        dX = G @ W.T
        dW = X.T @ G
        db = G.sum(axis=0)
        return dX, dW, db
    """,
    "worked_example_step": """
        n1 = x @ W1 + b1
        a1 = np.maximum(0, n1)
        n2 = a1 @ W2 + b2
        a2 = n2
        s2 = -2 * (y - a2)
        s1 = (s2 @ W2.T) * (n1 > 0)
        W1_new = W1 - lr * x.T @ s1
        b1_new = b1 - lr * s1[0]
        W2_new = W2 - lr * a1.T @ s2
        b2_new = b2 - lr * s2[0]
        return {"n1": n1, "a1": a1, "a2": a2, "s2": s2, "s1": s1, "W1": W1_new, "b1": b1_new, "W2": W2_new,
                "b2": b2_new}
    """,
    "mlp_forward": """
        N1 = X @ params["W1"] + params["b1"]
        A1 = np.maximum(0, N1)
        A2 = A1 @ params["W2"] + params["b2"]
        return N1, A1, A2
    """,
    "mlp_backward": """
        n, k = Y.shape
        S2 = 2 * (A2 - Y) / (n * k)
        dA1, dW2, db2 = linear_backward(A1, params["W2"], S2)
        S1 = dA1 * (N1 > 0)
        dX, dW1, db1 = linear_backward(X, params["W1"], S1)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """,
    "numerical_gradient": """
        grad = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            fp = f()
            x[i] = old - eps
            fm = f()
            x[i] = old
            grad[i] = (fp - fm) / (2 * eps)
        return grad
    """,
    "relative_error": """
        m = max(np.max(np.abs(a)), np.max(np.abs(b)))
        if m == 0:
            return 0.0
        return float(np.max(np.abs(a - b)) / m)
    """,
}

OTTO = {  # honest and obvious too, with np.dot, and calling part 1 as the notebook suggests
    "linear_forward": """
        return np.dot(X, W) + b
    """,
    "linear_backward": """
        return np.dot(G, W.T), np.dot(X.T, G), np.sum(G, axis=0)
    """,
    "worked_example_step": """
        n1 = np.dot(x, W1) + b1
        a1 = np.maximum(n1, 0)
        a2 = np.dot(a1, W2) + b2
        s2 = -2 * (y - a2)
        s1 = np.dot(s2, W2.T) * (n1 > 0)
        return {"n1": n1, "a1": a1, "a2": a2, "s2": s2, "s1": s1,
                "W1": W1 - lr * np.dot(x.T, s1), "b1": b1 - lr * np.sum(s1, axis=0),
                "W2": W2 - lr * np.dot(a1.T, s2), "b2": b2 - lr * np.sum(s2, axis=0)}
    """,
    "mlp_forward": """
        N1 = linear_forward(X, params["W1"], params["b1"])
        A1 = np.maximum(N1, 0)
        A2 = linear_forward(A1, params["W2"], params["b2"])
        return N1, A1, A2
    """,
    "mlp_backward": """
        S2 = 2 * (A2 - Y) / A2.size
        dA1, dW2, db2 = linear_backward(A1, params["W2"], S2)
        S1 = dA1 * (N1 > 0)
        _, dW1, db1 = linear_backward(X, params["W1"], S1)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    """,
    "numerical_gradient": """
        grad = np.zeros_like(x, dtype=np.float64)
        for idx in np.ndindex(x.shape):
            old = x[idx]
            x[idx] = old + eps
            plus = f()
            x[idx] = old - eps
            minus = f()
            x[idx] = old
            grad[idx] = (plus - minus) / (2 * eps)
        return grad
    """,
    "relative_error": """
        num = np.max(np.abs(a - b))
        den = max(np.max(np.abs(a)), np.max(np.abs(b)))
        if den == 0:
            return 0.0
        return float(num / den)
    """,
}

ERIN = {  # part 1 her own, parts 2 and 3 not done, part 4 pasted from mlkit/gradcheck.py
    "linear_forward": """
        return X @ W + b
    """,
    "linear_backward": """
        return G @ W.T, X.T @ G, G.sum(axis=0)
    """,
    "numerical_gradient": """
        if not isinstance(x, np.ndarray):
            raise ValueError(f"x must be a numpy array that f reads, got {type(x).__name__}")
        if x.dtype != np.float64:
            raise ValueError(f"numerical_gradient needs a float64 array (float32 is too coarse), got {x.dtype}")
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps}")
        grad = np.zeros_like(x)
        flat, grad_flat = x.reshape(-1), grad.reshape(-1)
        if not np.shares_memory(flat, x):
            raise ValueError("x must be contiguous so that it can be perturbed in place")
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            f_plus = float(f())
            flat[i] = old - eps
            f_minus = float(f())
            flat[i] = old
            grad_flat[i] = (f_plus - f_minus) / (2.0 * eps)
        return grad
    """,
    "relative_error": """
        analytic, numeric = np.asarray(a, float), np.asarray(b, float)
        scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0))
        if scale == 0.0:
            return 0.0
        return float(np.abs(analytic - numeric).max() / scale)
    """,
}

STUDENTS = {"alice": ALICE, "bob": BOB, "bea": BEA, "carl": CARL, "dana": DANA, "olga": OLGA, "otto": OTTO,
            "erin": ERIN, "fred": {}}
COMPLETE = ["alice", "bob", "bea", "carl", "dana", "olga", "otto"]  # all done: they must pass the visible tests
STUB = re.compile(r"^( *)# YOUR CODE HERE\n\1raise NotImplementedError\(\)$", re.M)


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def fill(release: dict, bodies: dict) -> dict:
    """A submission: the release with the stub of each solution cell named in ``bodies`` replaced."""
    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in bodies:
            body = textwrap.dedent(bodies[grade_id]).strip("\n")
            src, n = STUB.subn(lambda m: textwrap.indent(body, m.group(1)), _source(cell))
            assert n == 1, f"no stub in the release's cell {grade_id}"
            cell["source"] = src
    return nb


def run_visible_tests(nb: dict) -> None:
    """Execute the setup, solution and test cells of a notebook in one namespace (the visible tests)."""
    namespace = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and meta:
            exec(compile(_source(cell), meta.get("grade_id", "cell"), "exec"), namespace)


@pytest.fixture(scope="module")
def release():
    return json.loads((REPO / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def course(tmp_path_factory, release):
    root = tmp_path_factory.mktemp("course")
    for folder in ("solutions", "exercises"):
        (root / folder / ASSIGNMENT).mkdir(parents=True)
        shutil.copy(REPO / folder / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", root / folder / ASSIGNMENT)
    for student, bodies in STUDENTS.items():
        folder = root / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(json.dumps(fill(release, bodies), indent=1), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def report(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    rows = similarity_report(course, ASSIGNMENT, out)
    return rows, out


def score(rows, a, b):
    """The row of the pair (a, b), in either order."""
    found = [r for r in rows if {r["student"], r["other"]} == {a, b}]
    assert len(found) == 1, f"expected one row for {a} ~ {b}, found {found}"
    return found[0]


# ------------------------------------------------------------------------------------------ the fixtures
@pytest.mark.parametrize("student", COMPLETE)
def test_made_up_solutions_are_correct(release, student):
    run_visible_tests(fill(release, STUDENTS[student]))


def test_erins_pasted_code_works(release):
    ns = {}
    nb = fill(release, ERIN)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") in ("setup", "numerical_gradient",
                                                                      "test_numerical_gradient",
                                                                      "relative_error", "test_relative_error"):
            exec(_source(cell), ns)


# ---------------------------------------------------------------------------------------- the extraction
def test_solution_code_of_the_release_is_the_template_without_stubs(release):
    code = solution_code(release)
    assert "NotImplementedError" not in code and "YOUR CODE HERE" not in code
    assert "def numerical_gradient(f, x, eps=1e-6):" in code
    assert "# try it" in code
    assert strip_stub("    # YOUR CODE HERE\n    raise NotImplementedError()") == ""


def test_reference_code_keeps_the_solution_regions_only_from_solution_cells():
    code = reference_code(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert "grad[index] = (f_plus - f_minus) / (2.0 * eps)" in code
    assert "BEGIN SOLUTION" not in code and "END SOLUTION" not in code
    assert "check_close" not in code  # test cells are not read


def test_solution_code_follows_the_release_order(release):
    nb = fill(release, {"relative_error": "return 0.0", "linear_forward": "return X @ W + b"})
    nb["cells"].reverse()
    order = [c["metadata"]["nbgrader"]["grade_id"] for c in release["cells"]
             if c["metadata"].get("nbgrader", {}).get("solution")]
    code = solution_code(nb, order)
    assert code.index("def linear_forward") < code.index("def relative_error")


# ----------------------------------------------------------------------------------------- the report
def test_a_copy_of_the_reference_is_flagged(report):
    row = score(report[0], "alice", "reference")
    assert row["flagged"] and row["similarity"] >= 0.9


def test_shared_code_with_other_formatting_is_flagged(report):
    rows = report[0]
    row = score(rows, "bob", "bea")
    assert row["flagged"] and row["similarity"] >= 0.9
    for student in ("bob", "bea"):
        assert not score(rows, student, "reference")["flagged"]


def test_honest_independent_solutions_are_not_flagged(report):
    rows = report[0]
    assert score(rows, "carl", "dana")["similarity"] < DEFAULT_THRESHOLD / 2
    for student in ("carl", "dana"):
        assert score(rows, student, "reference")["similarity"] < DEFAULT_THRESHOLD / 2
        assert not [r for r in rows if student in (r["student"], r["other"]) and r["flagged"]]


def test_obvious_solutions_are_below_the_threshold(report):
    """The exercise nearly dictates its answers: honest obvious code agrees a lot, but stays unflagged."""
    rows = report[0]
    for a, b in [("olga", "otto"), ("olga", "reference"), ("otto", "reference")]:
        assert score(rows, a, b)["similarity"] < DEFAULT_THRESHOLD - 0.05


def test_the_untouched_release_scores_zero(report):
    rows = report[0]
    freds = [r for r in rows if "fred" in (r["student"], r["other"])]
    assert freds and all(r["similarity"] == 0.0 and not r["flagged"] for r in freds)


def test_code_pasted_from_mlkit_is_flagged_against_its_module(report):
    rows = report[0]
    row = score(rows, "erin", "mlkit/gradcheck.py")
    assert row["flagged"] and row["student_share"] >= 0.8
    assert [r["other"] for r in rows if r["flagged"] and "erin" in (r["student"], r["other"])] == \
        ["mlkit/gradcheck.py"]


def test_nothing_else_is_flagged(report):
    flagged = {frozenset((r["student"], r["other"])) for r in report[0] if r["flagged"]}
    assert flagged == {frozenset(p) for p in [("alice", "reference"), ("bob", "bea"),
                                              ("erin", "mlkit/gradcheck.py")]}


def test_the_csv(report):
    rows, out = report
    with open(out / f"similarity_{ASSIGNMENT}.csv", newline="", encoding="utf-8") as fp:
        table = list(csv.DictReader(fp))
    assert list(table[0]) == CSV_COLUMNS
    assert CSV_COLUMNS[:4] == ["student", "other", "similarity", "flagged"]
    sims = [float(r["similarity"]) for r in table]
    assert sims == sorted(sims, reverse=True) and all(0.0 <= s <= 1.0 for s in sims)
    n = len(STUDENTS)
    n_modules = len(list((REPO / "mlkit").glob("*.py")))
    assert len(table) == n * (n - 1) // 2 + n * (1 + n_modules)  # each pair of students once
    assert {r["other"] for r in table} >= {"reference", "mlkit/gradcheck.py", "mlkit/layers.py"}
    assert [r["flagged"] == "True" for r in table] == [r["flagged"] for r in rows]


def test_the_html_is_self_contained_and_escaped(report):
    rows, out = report
    page = (out / f"similarity_{ASSIGNMENT}.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=|https?://|@import|url\(""", page)
    assert "&lt;script&gt;alert(&quot;copied&quot;)&lt;/script&gt;" in page  # bea's comment, escaped
    flagged_at, all_at = page.index("Flagged pairs"), page.index("All pairs")
    assert flagged_at < all_at < page.index("side by side")
    assert "<mark>" in page
    for name in ("alice", "bob", "bea", "erin", "mlkit/gradcheck.py"):
        assert name in page[flagged_at:all_at]


def test_reference_modules_can_be_chosen(course, tmp_path):
    rows = similarity_report(course, ASSIGNMENT, tmp_path, reference_modules=["gradcheck", "mlkit.layers"])
    assert {r["other"] for r in rows} - set(STUDENTS) == {"reference", "mlkit/gradcheck.py", "mlkit/layers.py"}
    with pytest.raises(FileNotFoundError):
        similarity_report(course, ASSIGNMENT, tmp_path, reference_modules=["no_such_module"])


def test_without_a_release_the_template_is_rebuilt_from_the_source(course, tmp_path):
    bare = tmp_path / "course"
    shutil.copytree(course / "solutions", bare / "solutions")
    shutil.copytree(course / "submitted", bare / "submitted")
    rows = similarity_report(bare, ASSIGNMENT, tmp_path / "out", reference_modules=["gradcheck"])
    assert score(rows, "alice", "reference")["flagged"] and score(rows, "bob", "bea")["flagged"]
    assert all(r["similarity"] == 0.0 for r in rows if "fred" in (r["student"], r["other"]))
    assert score(rows, "carl", "dana")["similarity"] < DEFAULT_THRESHOLD / 2


def test_an_unreadable_submission_is_skipped_with_a_warning(course, tmp_path):
    broken = tmp_path / "course"
    shutil.copytree(course, broken, ignore=shutil.ignore_patterns("reports"))
    (broken / "submitted" / "zoe" / ASSIGNMENT).mkdir(parents=True)
    (broken / "submitted" / "zoe" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.warns(UserWarning, match="zoe"):
        rows = similarity_report(broken, ASSIGNMENT, tmp_path / "out", reference_modules=["gradcheck"])
    assert "zoe" not in {r["student"] for r in rows} | {r["other"] for r in rows}
    assert "zoe" in (tmp_path / "out" / f"similarity_{ASSIGNMENT}.html").read_text(encoding="utf-8")


def test_the_command_line(course, tmp_path, capsys):
    from mlgrade.__main__ import main

    out = tmp_path / "out"
    assert main(["similarity", ASSIGNMENT, "--course", str(course), "--out", str(out), "--threshold", "0.5"]) == 0
    assert (out / f"similarity_{ASSIGNMENT}.csv").is_file()
    assert (out / f"similarity_{ASSIGNMENT}.html").is_file()
    printed = capsys.readouterr().out
    assert f"{len(STUDENTS)} submissions" in printed and "(similarity >= 0.5)" in printed
    assert "alice  ~  reference" in printed and "olga  ~  otto" in printed  # 0.58: flagged at 0.5
    # the default output folder is <course>/reports; --modules restricts the mlkit modules
    assert main(["similarity", ASSIGNMENT, "--course", str(course), "--modules", "gradcheck,layers"]) == 0
    with open(course / "reports" / f"similarity_{ASSIGNMENT}.csv", newline="", encoding="utf-8") as fp:
        others = {row["other"] for row in csv.DictReader(fp)}
    assert others - set(STUDENTS) == {"reference", "mlkit/gradcheck.py", "mlkit/layers.py"}
    with pytest.raises(SystemExit):
        main(["similarity", ASSIGNMENT, "--threshold", "2"])
    assert main(["similarity", "99_no_such_exercise", "--course", str(course)]) == 1
    assert "no notebook" in capsys.readouterr().err
