"""Tests for mlkit.plotting under the non-interactive Agg backend: each figure has the artists it promises."""

import ast
import inspect
import pkgutil

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import FuncAnimation, PillowWriter  # noqa: E402
from matplotlib.contour import ContourSet  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

import mlkit.plotting as mp  # noqa: E402
from mlkit.layers import Module  # noqa: E402
from mlkit.perceptron import Perceptron  # noqa: E402

X_GATE = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y_AND = np.array([0, 0, 0, 1])


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def legend_texts(ax):
    legend = ax.get_legend()
    assert legend is not None, "expected a legend"
    return [t.get_text() for t in legend.get_texts()]


def image_axes(fig):
    every = [a for top in fig.axes for a in (top, *top.child_axes)]
    return [a for a in every if any(isinstance(i, AxesImage) for i in a.images)]


class Square(Module):
    """f(z) = z², f'(z) = 2z: a stand-in activation Module."""

    def forward(self, z):
        self.z = np.asarray(z, dtype=float)
        return self.z ** 2

    def backward(self, grad_output):
        return grad_output * 2.0 * self.z


def plotting_modules():
    """mlkit.plotting and each module of the package."""
    import importlib

    names = [info.name for info in pkgutil.iter_modules(mp.__path__, prefix="mlkit.plotting.")]
    assert len(names) >= 5
    return [mp] + [importlib.import_module(name) for name in names]


def test_package_never_shows_or_blocks():
    for module in plotting_modules():
        tree = ast.parse(inspect.getsource(module))
        called = {node.func.attr for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
        assert not called & {"show", "pause", "use", "ion", "switch_backend"}, module.__name__


def test_package_modules_stay_short_and_export_every_public_name():
    for module in plotting_modules():
        n_lines = len(inspect.getsource(module).splitlines())
        assert n_lines <= 450, f"{module.__name__} has {n_lines} lines"
    for name in mp.__all__:
        assert callable(getattr(mp, name)), name


# --------------------------------------------------------------------------------------- decision boundary
def test_decision_boundary_of_a_perceptron():
    p = Perceptron(rng=0).fit(X_GATE, Y_AND)
    fig, ax = plt.subplots()
    out = mp.plot_decision_boundary(p, X_GATE, Y_AND, ax=ax, resolution=50)
    assert out is ax
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    assert len(filled) == 1
    np.testing.assert_allclose(filled[0].levels, [-0.5, 0.5, 1.5])       # two class regions
    assert legend_texts(ax) == ["class 0", "class 1"]
    assert ax.get_title() and ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"
    x0, x1 = ax.get_xlim()
    assert x0 < 0 and x1 > 1


def test_decision_boundary_calls_the_model_on_a_grid_and_handles_outputs():
    calls = []

    def proba(points):                       # P(class 1) of a logistic unit
        calls.append(points.shape)
        return 1.0 / (1.0 + np.exp(-(4 * points[:, 0] + 4 * points[:, 1] - 6)))

    ax = mp.plot_decision_boundary(proba, X_GATE, Y_AND, resolution=30)
    assert calls == [(900, 2)]
    assert len(ax.figure.axes) == 2                                   # colour bar for a continuous output
    lines = [c for c in ax.collections if isinstance(c, ContourSet) and not c.filled]
    assert [list(c.levels) for c in lines] == [[0.5]]                 # the p = 0.5 boundary

    three = np.array([[0, 0], [1, 0], [0, 1], [2, 2.0]])
    scores = lambda P: np.column_stack([-P.sum(1), P[:, 0] - P[:, 1], P[:, 1] - P[:, 0]])  # noqa: E731
    ax = mp.plot_decision_boundary(scores, three, np.array([0, 1, 2, 0]), resolution=20)
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled][0]
    assert len(filled.levels) == 4                                     # argmax → three classes
    assert legend_texts(ax) == ["class 0", "class 1", "class 2"]

    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        mp.plot_decision_boundary(proba, np.ones((4, 3)), Y_AND)
    with pytest.raises(ValueError, match="shape"):
        mp.plot_decision_boundary(lambda P: np.ones(3), X_GATE, Y_AND, resolution=5)


def test_decision_boundary_evaluates_a_module_in_eval_mode():
    class Probe(Module):
        def forward(self, x):
            self.seen_training = self.training
            return x[:, :1] - 0.5

    probe = Probe()
    probe.train()
    mp.plot_decision_boundary(probe, X_GATE, Y_AND, resolution=10)
    assert probe.seen_training is False and probe.training is True


# ----------------------------------------------------------------------------------------- learning curves
class FakeHistory:
    def __init__(self, record):
        self.history = record


def test_plot_history_lines_and_labels():
    record = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.8, 0.9],
              "val_accuracy": [0.4, 0.7, 0.8]}
    ax = mp.plot_history(FakeHistory(record), metrics=("loss", "accuracy"))
    assert len(ax.lines) == 4
    assert legend_texts(ax) == ["train loss", "validation loss", "train accuracy", "validation accuracy"]
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), record["val_loss"])
    assert ax.get_xlabel() == "epoch" and ax.get_title()

    ax = mp.plot_history({"loss": [3.0, 2.0], "val_loss": []}, logy=True)   # a plain dict, no validation
    assert len(ax.lines) == 1 and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match="available keys"):
        mp.plot_history({"loss": [1.0]}, metrics="accuracy")
    with pytest.raises(ValueError, match="dict"):
        mp.plot_history([1.0, 2.0])


# ---------------------------------------------------------------------------------------------- image grids
def test_plot_images_grid_titles_and_shapes():
    rng = np.random.default_rng(0)
    images = rng.random((12, 64))
    labels = np.arange(12) % 10
    preds = labels.copy()
    preds[3] = 4
    fig = mp.plot_images(images, labels=labels, predictions=preds, n_cols=5)
    assert len(fig.axes) == 15                                  # 3 rows × 5, three blank cells
    cells = image_axes(fig)
    assert len(cells) == 12
    assert all(a.images[0].get_array().shape == (8, 8) for a in cells)
    assert cells[0].get_title() == "t: 0 p: 0"
    assert cells[3].get_title() == "t: 3 p: 4"
    assert cells[3].title.get_color() != cells[0].title.get_color()   # mistakes stand out
    np.testing.assert_allclose(cells[5].images[0].get_array(), images[5].reshape(8, 8))
    assert cells[0].images[0].get_clim() == (images.min(), images.max())   # one grey scale for all

    fig = mp.plot_images(rng.random((3, 784)), labels=[7, 2, 1])
    assert [a.images[0].get_array().shape for a in image_axes(fig)] == [(28, 28)] * 3
    assert [a.get_title() for a in image_axes(fig)] == ["7", "2", "1"]

    fig = mp.plot_images(rng.random((4, 5, 6)), predictions=[1, 2, 3, 4], suptitle="four")
    assert [a.get_title() for a in image_axes(fig)] == ["p: 1", "p: 2", "p: 3", "p: 4"]
    assert image_axes(fig)[0].images[0].get_array().shape == (5, 6) and fig.get_suptitle() == "four"

    with pytest.raises(ValueError, match=r"square.*\(n, height, width\)"):
        mp.plot_images(rng.random((2, 10)))
    with pytest.raises(ValueError, match="one entry per image"):
        mp.plot_images(images, labels=[1, 2])


def test_plot_images_normalized_filters_inside_an_axes_and_on_a_figure():
    rng = np.random.default_rng(1)
    W = rng.normal(size=(64, 6))                 # encoder weights: filters are the columns
    fig, ax = plt.subplots()
    out = mp.plot_images(W.T, ax=ax, normalize=True, n_cols=3, suptitle="filters")
    assert out is fig and ax.get_title() == "filters"
    cells = image_axes(fig)
    assert len(cells) == 6
    for cell in cells:
        arr = np.asarray(cell.images[0].get_array())
        assert arr.min() == pytest.approx(0.0) and arr.max() == pytest.approx(1.0)
    target = plt.figure()
    assert mp.plot_images(W.T[:4], fig=target, n_cols=2) is target
    assert len(image_axes(target)) == 4


def test_plot_reconstructions_two_rows():
    rng = np.random.default_rng(2)
    x = rng.random((20, 64))
    fig = mp.plot_reconstructions(x, 0.9 * x, n=6)
    cells = image_axes(fig)
    assert len(cells) == 12
    assert cells[0].get_ylabel() == "input" and cells[6].get_ylabel() == "reconstruction"
    np.testing.assert_allclose(cells[7].images[0].get_array(), 0.9 * x[1].reshape(8, 8))
    assert cells[0].images[0].get_clim() == (min(x[:6].min(), 0.9 * x[:6].min()), x[:6].max())

    fig, ax = plt.subplots()
    assert mp.plot_reconstructions(x, x, n=3, ax=ax, suptitle="pairs") is fig
    assert len(image_axes(fig)) == 6 and ax.get_title() == "pairs"


# ------------------------------------------------------------------------------------------------ activations
def test_plot_activation_with_a_module_stub():
    z = np.linspace(-2, 2, 9)
    ax = mp.plot_activation(Square(), z=z)
    f_line, df_line = ax.lines[-2:]
    np.testing.assert_allclose(f_line.get_ydata(), z ** 2)
    np.testing.assert_allclose(df_line.get_ydata(), 2 * z)
    assert legend_texts(ax) == ["Square(z)", "Square'(z)"]
    assert ax.get_title() == "Square" and ax.get_xlabel() == "z"
    ax = mp.plot_activation(Square, z=z, derivative=False)          # a class is instantiated
    assert legend_texts(ax) == ["Square(z)"]


def test_plot_activation_of_a_plain_function_uses_finite_differences():
    z = np.linspace(-3, 3, 601)
    ax = mp.plot_activation(np.tanh, z=z)
    np.testing.assert_allclose(ax.lines[-1].get_ydata()[1:-1], 1 - np.tanh(z[1:-1]) ** 2, atol=1e-4)
    with pytest.raises(ValueError, match="1-D"):
        mp.plot_activation(np.tanh, z=np.zeros((3, 3)))


def test_plot_activation_with_mlkit_activations():
    acts = pytest.importorskip("mlkit.activations")
    z = np.linspace(-5, 5, 401)
    fig, ax = plt.subplots()
    mp.plot_activation("sigmoid", z=z, ax=ax)
    mp.plot_activation(acts.ReLU(), z=z, ax=ax)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(ax.lines[2].get_ydata(), s, rtol=1e-12)
    np.testing.assert_allclose(ax.lines[3].get_ydata(), s * (1 - s), rtol=1e-10)
    np.testing.assert_allclose(ax.lines[6].get_ydata(), np.maximum(z, 0))
    np.testing.assert_allclose(ax.lines[7].get_ydata()[z != 0], (z > 0)[z != 0].astype(float))
    assert "ReLU" in ax.get_title() and len(legend_texts(ax)) == 4


# --------------------------------------------------------------------------------------------- perceptron
def _line_residual(line, w, b):
    xs, ys = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
    return np.max(np.abs(w[0] * xs + w[1] * ys + b))


def test_animate_perceptron_renders_one_frame_per_state(tmp_path):
    p = Perceptron(shuffle=False).fit(X_GATE, Y_AND)            # 18 updates → 19 states
    fig, ax = plt.subplots(figsize=(3, 3), dpi=40)
    anim = mp.animate_perceptron(X_GATE, Y_AND, p.history_, ax=ax, interval=50)
    assert isinstance(anim, FuncAnimation)
    assert len(list(anim.new_frame_seq())) == len(p.history_) == 19
    path = tmp_path / "perceptron.gif"
    anim.save(path, writer=PillowWriter(fps=10))
    from PIL import Image

    with Image.open(path) as gif:
        assert gif.n_frames == 19
    # after saving, the axes show the last state: its title, line and the circled update point
    w, b = p.history_[-1]
    assert ax.get_title().startswith("update 18/18")
    assert _line_residual(ax.lines[0], w, b) < 1e-9
    assert "mistake → update" in legend_texts(ax)


def test_plot_perceptron_steps_small_multiples():
    p = Perceptron(shuffle=False).fit(X_GATE, Y_AND)
    fig = mp.plot_perceptron_steps(X_GATE, Y_AND, p.history_)
    panels = [a for a in fig.axes if a.get_title()]
    assert len(panels) == 8
    assert panels[0].get_title() == "start (w = 0)" and panels[-1].get_title().startswith("update 18/18")
    assert not panels[0].lines                                     # w = 0: no line yet
    steps = np.unique(np.linspace(0, 18, 8).round().astype(int))
    for panel, k in zip(panels[1:], steps[1:]):
        w, b = p.history_[k]
        assert _line_residual(panel.lines[0], w, b) < 1e-9
    assert panels[0].get_legend() is None
    assert legend_texts(panels[1]) == ["w·x + b = 0", "class 0", "class 1", "mistake → update"]

    fig, axes = plt.subplots(1, 3)
    assert mp.plot_perceptron_steps(X_GATE, Y_AND, p.history_, steps=[0, 1, 18], ax=axes) is fig
    assert axes[1].get_title().startswith("update 1/18")
    with pytest.raises(ValueError, match=r"\[0, 18\]"):
        mp.plot_perceptron_steps(X_GATE, Y_AND, p.history_, steps=[19])
    with pytest.raises(ValueError, match="history"):
        mp.plot_perceptron_steps(X_GATE, Y_AND, [])


# ------------------------------------------------------------------------------------------- loss surfaces
def test_plot_loss_surface_with_trajectories():
    paths = {"SGD": np.array([[2.0, 2.0], [1.0, 1.5], [0.5, 0.7]]),
             "Adam": np.array([[-2.0, 1.0], [-1.0, 0.5]])}
    ax = mp.plot_loss_surface_2d(lambda a, b: a ** 2 + 3 * b ** 2, (-3, 3), (-3, 3), trajectories=paths,
                                 minimum=(0, 0), resolution=40)
    texts = legend_texts(ax)
    assert texts == ["SGD", "Adam", "minimum"]
    sgd = [line for line in ax.lines if line.get_label() == "SGD"][0]
    np.testing.assert_array_equal(sgd.get_xydata(), paths["SGD"])
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled]
    assert len(filled) == 1 and len(ax.figure.axes) == 2              # contours and a colour bar
    assert ax.get_title() and ax.get_xlabel() == "$w_1$"

    # f is called once, on the two meshgrid arrays
    calls = []

    def bowl(w1, w2):
        calls.append((w1.shape, w2.shape))
        return w1 ** 2 + 3 * w2 ** 2

    ax = mp.plot_loss_surface_2d(bowl, (-3, 3), (-2, 2), resolution=25, levels=12)
    assert calls == [((25, 25), (25, 25))]
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled][0]
    assert filled.levels[0] == pytest.approx(0.0, abs=1e-9) and filled.levels[-1] >= 9 + 12
    with pytest.raises(ValueError, match="element by element"):
        mp.plot_loss_surface_2d(lambda a, b: 1.0, (-3, 3), (-2, 2), resolution=10)

    rosen = lambda a, b: (1 - a) ** 2 + 100 * (b - a ** 2) ** 2    # noqa: E731
    ax = mp.plot_loss_surface_2d(rosen, (-2, 2), (-1, 3), log=True, resolution=40)
    filled = [c for c in ax.collections if isinstance(c, ContourSet) and c.filled][0]
    assert isinstance(filled.norm, matplotlib.colors.LogNorm)
    with pytest.raises(ValueError, match=r"\(T, 2\)"):
        mp.plot_loss_surface_2d(rosen, (-2, 2), (-1, 3), trajectories={"bad": np.ones((3, 3))}, resolution=10)
    with pytest.raises(ValueError, match="increasing"):
        mp.plot_loss_surface_2d(rosen, (2, -2), (-1, 3), resolution=10)


# ---------------------------------------------------------------------------------------- confusion matrix
def test_confusion_matrix_counts_against_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 4, 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(0, 4, 200))
    C, labels = mp.confusion_counts(y_true, y_pred)
    np.testing.assert_array_equal(C, metrics.confusion_matrix(y_true, y_pred))
    np.testing.assert_array_equal(labels, [0, 1, 2, 3])
    C, _ = mp.confusion_counts(y_true, y_pred, labels=[3, 1])
    np.testing.assert_array_equal(C, metrics.confusion_matrix(y_true, y_pred, labels=[3, 1]))

    ax = mp.plot_confusion_matrix(y_true, y_pred, display_labels=["a", "b", "c", "d"])
    full = metrics.confusion_matrix(y_true, y_pred)
    cells = [int(t.get_text()) for t in ax.texts]
    assert cells == full.ravel().tolist()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    assert ax.get_xlabel() == "predicted label" and ax.get_ylabel() == "true label"
    assert f"{np.mean(y_true == y_pred):.1%}" in ax.get_title()

    ax = mp.plot_confusion_matrix(y_true, y_pred, normalize="true", colorbar=False)
    values = np.array([float(t.get_text()) for t in ax.texts]).reshape(4, 4)
    np.testing.assert_allclose(values.sum(axis=1), 1.0, atol=0.02)
    np.testing.assert_allclose(values, full / full.sum(1, keepdims=True), atol=0.005)
    assert len(ax.figure.axes) == 1

    with pytest.raises(ValueError, match="same length"):
        mp.plot_confusion_matrix(y_true, y_pred[:-1])
    with pytest.raises(ValueError, match="normalize"):
        mp.plot_confusion_matrix(y_true, y_pred, normalize="rows")


# ------------------------------------------------------------------------------------ backpropagation graph
@pytest.mark.parametrize("n_layers", [1, 2, 3])
def test_backprop_graph_has_a_box_and_two_arrows_per_step(n_layers):
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.text import Annotation

    ax = mp.plot_backprop_graph(n_layers=n_layers)
    n_values, n_links = 2 * n_layers + 2, 2 * n_layers + 1                # boxes in the bottom row, gaps between
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    arrows = [t for t in ax.texts if isinstance(t, Annotation)]
    labels = [t.get_text() for t in ax.texts if not isinstance(t, Annotation)]
    assert len(boxes) == n_values + n_layers                               # values + one parameter box per layer
    assert len(arrows) == 2 * n_links + 2 * n_layers                      # forward and backward, both rows
    red = [a for a in arrows if matplotlib.colors.same_color(a.arrow_patch.get_edgecolor(), "C3")]
    assert len(red) == n_links + n_layers                                 # one backward arrow per forward one
    assert len(labels) == n_values + n_links + 2 * n_layers
    assert sum("^\\top" in t for t in labels) == n_layers                 # a gradient (a^{k-1})ᵀ s^k per layer
    assert labels[0] == r"$\mathbf{a}^{0}=\mathbf{x}$" and f"a^{{{n_layers}}})^2" in labels[n_values - 1]
    assert not ax.axison and f"{n_layers} layer" in ax.get_title()


def test_backprop_graph_options():
    fig, ax = plt.subplots()
    assert mp.plot_backprop_graph(2, scalar_output=False, ax=ax, title="mine") is ax
    texts = [t.get_text() for t in ax.texts]
    assert ax.get_title() == "mine" and any(r"\mathbf{s}^{2}" in t for t in texts)
    assert not any(t == "$s^{2}$" for t in texts)                          # vectors throughout
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            mp.plot_backprop_graph(bad)



def test_plotting_imports_where_the_grader_hides_mlkit_train(tmp_path):
    """Exercise 05 draws with mlkit.plotting while grading hides mlkit.train (a reference it asks for): mlkit as
    the sandbox shows it (lazy __init__, train.py replaced by a stub that raises) must still import plotting."""
    import os
    import shutil
    import subprocess
    import sys

    from pathlib import Path

    import mlkit
    from mlgrade.sandbox import LAZY_INIT, _stub_text

    package = tmp_path / "mlkit"
    shutil.copytree(Path(mlkit.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "__init__.py").write_text(LAZY_INIT)
    (package / "train.py").write_text(_stub_text("mlkit.train", "05_mnist_mlp"))
    run = subprocess.run([sys.executable, "-c", "import mlkit.plotting; print('ok')"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(tmp_path), "MPLBACKEND": "Agg"})
    assert run.stdout.strip() == "ok", run.stderr[-2000:]
