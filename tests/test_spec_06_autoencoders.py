"""Exercise 06's hidden checks catch the common mistakes, each in the test cell that grades it."""

import pytest

from spec_helpers import failing, verdicts

BOTH_CORRUPTIONS = {"test_corrupt_gaussian", "test_corrupt_mask"}

MISTAKES = {
    # what the student got wrong: (function, replacement source, the test cells that must fail)
    "L1 averaged over all n*m entries": ("l1_penalty", """
def l1_penalty(H, lam):
    H = np.asarray(H, dtype=float)
    return float(lam * np.abs(H).mean()), lam / H.size * np.sign(H)
""", {"test_l1_penalty"}),
    "L1 gradient without 1/n": ("l1_penalty", """
def l1_penalty(H, lam):
    H = np.asarray(H, dtype=float)
    return float(lam * np.abs(H).sum() / H.shape[0]), lam * np.sign(H)
""", {"test_l1_penalty"}),
    "L1 sign with a threshold (tiny entries count as 0)": ("l1_penalty", """
def l1_penalty(H, lam):
    H = np.asarray(H, dtype=float)
    n = H.shape[0]
    sign = np.where(H > 1e-12, 1.0, np.where(H < -1e-12, -1.0, 0.0))
    return float(lam * np.abs(H).sum() / n), (lam / n) * sign
""", {"test_l1_penalty"}),
    "L1 value per unit (an array, not a number)": ("l1_penalty", """
def l1_penalty(H, lam):
    H = np.asarray(H, dtype=float)
    n = H.shape[0]
    return lam * np.abs(H).sum(axis=0) / n, (lam / n) * np.sign(H)
""", {"test_l1_penalty"}),
    "KL gradient of shape (m,), not one row per sample": ("kl_penalty", """
def kl_penalty(H, rho, beta):
    n = H.shape[0]
    r = H.mean(axis=0)
    kl = rho * np.log(rho / r) + (1 - rho) * np.log((1 - rho) / (1 - r))
    return float(beta * kl.sum()), beta * (-rho / r + (1 - rho) / (1 - r)) / n
""", {"test_kl_penalty"}),
    "KL gradient without 1/n": ("kl_penalty", """
def kl_penalty(H, rho, beta):
    n = H.shape[0]
    r = H.mean(axis=0)
    kl = rho * np.log(rho / r) + (1 - rho) * np.log((1 - rho) / (1 - r))
    return float(beta * kl.sum()), np.tile(beta * (-rho / r + (1 - rho) / (1 - r)), (n, 1))
""", {"test_kl_penalty"}),
    "KL rho_hat averaged over units (wrong axis)": ("kl_penalty", """
def kl_penalty(H, rho, beta):
    n, m = H.shape
    r = H.mean(axis=1, keepdims=True)
    kl = rho * np.log(rho / r) + (1 - rho) * np.log((1 - rho) / (1 - r))
    return float(beta * kl.sum()), np.broadcast_to(beta * (-rho / r + (1 - rho) / (1 - r)) / n, (n, m)).copy()
""", {"test_kl_penalty"}),
    "KL gradient written into H (modifies its input)": ("kl_penalty", """
def kl_penalty(H, rho, beta):
    n = H.shape[0]
    r = H.mean(axis=0)
    kl = rho * np.log(rho / r) + (1 - rho) * np.log((1 - rho) / (1 - r))
    H[...] = beta * (-rho / r + (1 - rho) / (1 - r)) / n
    return float(beta * kl.sum()), H
""", {"test_kl_penalty"}),
    "contractive dW without the term through omega": ("contractive_penalty", """
def contractive_penalty(X, W, b, lam):
    n = X.shape[0]
    H = scipy.special.expit(X @ W + b)
    s = H * (1 - H)
    omega = (W ** 2).sum(axis=0)
    D = (lam / n) * 2 * s ** 2 * (1 - 2 * H) * omega
    return float(lam * ((s ** 2) @ omega).mean()), X.T @ D, D.sum(axis=0)
""", {"test_contractive_penalty"}),
    "contractive 2h - 1 instead of 1 - 2h": ("contractive_penalty", """
def contractive_penalty(X, W, b, lam):
    n = X.shape[0]
    H = scipy.special.expit(X @ W + b)
    s = H * (1 - H)
    omega = (W ** 2).sum(axis=0)
    D = (lam / n) * 2 * s ** 2 * (2 * H - 1) * omega
    return float(lam * ((s ** 2) @ omega).mean()), X.T @ D + (2 * lam / n) * W * (s ** 2).sum(axis=0), D.sum(axis=0)
""", {"test_contractive_penalty"}),
    "contractive db not summed over samples": ("contractive_penalty", """
def contractive_penalty(X, W, b, lam):
    n = X.shape[0]
    H = scipy.special.expit(X @ W + b)
    s = H * (1 - H)
    omega = (W ** 2).sum(axis=0)
    D = (lam / n) * 2 * s ** 2 * (1 - 2 * H) * omega
    return float(lam * ((s ** 2) @ omega).mean()), X.T @ D + (2 * lam / n) * W * (s ** 2).sum(axis=0), D
""", {"test_contractive_penalty"}),
    "contractive penalty averaged over units too": ("contractive_penalty", """
def contractive_penalty(X, W, b, lam):
    n, m = X.shape[0], W.shape[1]
    H = scipy.special.expit(X @ W + b)
    s = H * (1 - H)
    omega = (W ** 2).sum(axis=0)
    D = (lam / (n * m)) * 2 * s ** 2 * (1 - 2 * H) * omega
    dW = X.T @ D + (2 * lam / (n * m)) * W * (s ** 2).sum(axis=0)
    return float(lam * ((s ** 2) * omega).mean()), dW, D.sum(axis=0)
""", {"test_contractive_penalty"}),
    "gaussian noise from np.random's global generator": ("corrupt", """
def corrupt(X, kind, level, rng):
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + np.random.normal(0.0, level, X.shape)
    if kind == "mask":
        return X * (np.random.default_rng(rng).random(X.shape) >= level)
    raise ValueError(kind)
""", {"test_corrupt_gaussian"}),
    "gaussian noise with variance level (std sqrt(level))": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + rng.normal(0.0, np.sqrt(level), X.shape)
    if kind == "mask":
        return X * (rng.random(X.shape) >= level)
    raise ValueError(kind)
""", {"test_corrupt_gaussian"}),
    "gaussian noise added to X in place": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    if kind == "gaussian":
        X += level * rng.standard_normal(X.shape)
        return X
    if kind == "mask":
        return X * (rng.random(X.shape) >= level)
    raise ValueError(kind)
""", {"test_corrupt_gaussian"}),
    "gaussian result as a list": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return (X + level * rng.standard_normal(X.shape)).tolist()
    if kind == "mask":
        return X * (rng.random(X.shape) >= level)
    raise ValueError(kind)
""", {"test_corrupt_gaussian"}),
    "one noise value per sample (not per entry)": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + level * rng.standard_normal((X.shape[0], 1))
    if kind == "mask":
        return X * (rng.random(X.shape) >= level)
    raise ValueError(kind)
""", {"test_corrupt_gaussian"}),
    "mask rescaled like dropout": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + level * rng.standard_normal(X.shape)
    if kind == "mask":
        keep = rng.random(X.shape) >= level
        return X * keep / max(1.0 - level, 1e-12)
    raise ValueError(kind)
""", {"test_corrupt_mask"}),
    "mask keeps with probability level (< instead of >=)": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + level * rng.standard_normal(X.shape)
    if kind == "mask":
        return X * (rng.random(X.shape) < level)
    raise ValueError(kind)
""", {"test_corrupt_mask"}),
    "mask drops whole samples": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + level * rng.standard_normal(X.shape)
    if kind == "mask":
        return X * (rng.random((X.shape[0], 1)) >= level)
    raise ValueError(kind)
""", {"test_corrupt_mask"}),
    "mask applied as abs (negative entries lose their sign)": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + level * rng.standard_normal(X.shape)
    if kind == "mask":
        return np.abs(X) * (rng.random(X.shape) >= level)
    raise ValueError(kind)
""", {"test_corrupt_mask"}),
    "unknown kind returns X unchanged": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + level * rng.standard_normal(X.shape)
    if kind == "mask":
        return X * (rng.random(X.shape) >= level)
    return X.copy()
""", {"test_corrupt_mask"}),
    "a Generator replaced by a fresh unseeded one": ("corrupt", """
def corrupt(X, kind, level, rng):
    rng = np.random.default_rng(rng if isinstance(rng, (int, np.integer)) else None)
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + level * rng.standard_normal(X.shape)
    if kind == "mask":
        return X * (rng.random(X.shape) >= level)
    raise ValueError(kind)
""", BOTH_CORRUPTIONS),
    "np.random's global generator seeded and used": ("corrupt", """
def corrupt(X, kind, level, rng):
    np.random.seed(np.random.default_rng(rng).integers(2 ** 31))
    X = np.asarray(X, dtype=float)
    if kind == "gaussian":
        return X + level * np.random.standard_normal(X.shape)
    if kind == "mask":
        return X * (np.random.random(X.shape) >= level)
    raise ValueError(kind)
""", BOTH_CORRUPTIONS),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_common_mistake_fails_exactly_its_checks(mistake):
    function, source, expected = MISTAKES[mistake]
    assert failing(verdicts("06_autoencoders", {function: source})) == expected
