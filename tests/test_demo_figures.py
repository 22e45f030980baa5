"""Every figure a demo draws can be read on its own: each panel has axis labels and a legend, inside the picture.

A *panel* is an axes that shows data. Its legend is its own (``ax.legend``), the figure's (``fig.legend``) or, for
a panel whose colours encode a value (a heat map, filled contours), a colour bar with a label. A colour bar is a
legend itself, so it needs a label, not a legend. Image tiles with their axes switched off (the digits demo's
misclassified images) need a title instead of axis labels, and a labelled colour bar for their grey scale.

The figures are captured as the demos build them. The quick demos run ``main(["--quick", ...])`` with their
``save_figure`` wrapped; moons, digits and regression train for seconds even with ``--quick``, so their figure is
built by their plotting function from small inputs (``tests/test_demos.py`` runs their ``main``). All of it takes a
few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the demos draw with matplotlib (pip install 'autograd-core[demos]')")

ROOT = Path(__file__).resolve().parents[1]
# every demo that draws a matplotlib figure, and how many figures it draws (the others draw graphs or write text)
PLOTTING = {"chain_rule": 1, "logistic_regression": 1, "xor": 1, "vanishing_gradients": 1, "regression": 1,
            "moons": 1, "digits": 1, "zero_init": 1, "descent_paths": 1, "activations": 2, "losses": 1,
            "exploding_gradients": 1}
# main(--quick) in about a second
QUICK = ("chain_rule", "logistic_regression", "xor", "vanishing_gradients", "zero_init", "descent_paths",
         "activations", "losses")
SLOW = {"moons", "digits", "regression", "exploding_gradients"}  # their figure is built from small inputs below


@pytest.fixture(autouse=True)
def _repo_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))


def _colorbars(fig) -> list:
    return [ax._colorbar for ax in fig.axes if getattr(ax, "_colorbar", None) is not None]


def _label(colorbar) -> str:
    return (colorbar.ax.xaxis.label.get_text() or colorbar.ax.yaxis.label.get_text()).strip()


def _legends(fig) -> list:
    """The figure-level legends of ``fig`` and of its subfigures, at any depth."""
    found, todo = [], [fig]
    while todo:
        f = todo.pop()
        found += list(f.legends)
        todo += list(getattr(f, "subfigs", []))
    return found


def _entries(legend) -> list:
    return [t.get_text().strip() for t in legend.get_texts()]


def problems(fig) -> list:
    """What a student could not read in ``fig``: missing labels, legends, titles; legends cut off by the edge."""
    found = []
    colorbars = _colorbars(fig)
    colorbar_axes = {id(cb.ax) for cb in colorbars}
    figure_legends = _legends(fig)
    for legend in figure_legends:
        if not _entries(legend) or not all(_entries(legend)):
            found.append("a figure legend has an empty entry")
    for cb in colorbars:
        if not _label(cb):
            found.append("a colour bar has no label")
    for k, ax in enumerate(fig.axes):
        if id(ax) in colorbar_axes:
            continue
        name = f"panel {k} ({ax.get_title()!r})"
        if not ax.axison:  # an image tile: its title says what it is
            if ax.get_images() and not ax.get_title().strip():
                found.append(f"{name}: an image without a title")
            continue
        if not ax.get_xlabel().strip():
            found.append(f"{name}: no x-axis label")
        if not ax.get_ylabel().strip():
            found.append(f"{name}: no y-axis label")
        own = ax.get_legend()
        if own is not None and (not _entries(own) or not all(_entries(own))):
            found.append(f"{name}: its legend has an empty entry")
        mapped = any(cb.mappable.axes is ax for cb in colorbars)
        if own is None and not figure_legends and not mapped:
            found.append(f"{name}: no legend (and no labelled colour bar for its colours)")
    fig.canvas.draw()
    box = fig.bbox
    for legend in figure_legends + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]:
        extent = legend.get_window_extent()
        if extent.x0 < box.x0 - 1 or extent.y0 < box.y0 - 1 or extent.x1 > box.x1 + 1 or extent.y1 > box.y1 + 1:
            found.append(f"a legend ({_entries(legend)[:2]} ...) is cut off by the figure's edge")
    return found


def _capture(monkeypatch, module) -> list:
    figures = []
    save = module.save_figure

    def keep(fig, path, *args, **kwargs):
        figures.append(fig)
        return save(fig, path, *args, **kwargs)

    monkeypatch.setattr(module, "save_figure", keep)
    return figures


@pytest.mark.parametrize("name", QUICK)
def test_quick_demo_figures_are_labelled(name, tmp_path, monkeypatch, capsys):
    import importlib

    module = importlib.import_module(f"demos.{name}")
    figures = _capture(monkeypatch, module)
    module.main(["--quick", "--out", str(tmp_path)])
    assert len(figures) == PLOTTING[name]
    for fig in figures:
        assert problems(fig) == [], name


def test_moons_figure_is_labelled():
    pytest.importorskip("sklearn")
    from demos import moons

    X, y = moons.make_data()
    fig = moons._boundary_plot(moons.build_model(), X, y, 0.5, "untrained")  # a coarse grid: fast
    assert problems(fig) == []
    ax = fig.axes[0]
    assert "x1" in ax.get_xlabel() and "x2" in ax.get_ylabel()
    entries = " ".join(_entries(ax.get_legend()))
    assert "class -1" in entries and "class +1" in entries and "decision boundary" in entries


def test_digits_figure_is_labelled():
    pytest.importorskip("sklearn")
    from demos import digits

    X_train, X_test, y_train, y_test = digits.load_data()
    X_test, y_test = X_test[:60], y_test[:60]
    predicted = [(t + 1) % 10 if i % 5 == 0 else t for i, t in enumerate(y_test)]  # a few mistakes to show
    matrix = digits.confusion_matrix(y_test, predicted)
    accuracy = sum(p == t for p, t in zip(predicted, y_test)) / len(y_test)
    fig = digits._plot(matrix, X_test, y_test, predicted, accuracy, "made up")
    assert problems(fig) == []
    assert {_label(cb) for cb in _colorbars(fig)} == {"number of held-out images",
                                                      "pixel value (8x8 image, scaled to 0..1)"}


def test_regression_figure_is_labelled():
    from demos import regression

    X, y = regression.make_data()
    curves = {name: [0.5, 0.2, 0.1] for name, _, _ in regression.VARIANTS}
    updates = {"batch": 2, "stochastic": 82, "minibatch (m=8)": 12}
    fits = {name: [regression.target(x[0]) for x in X] for name in curves}
    fig = regression._plot(X, y, curves, updates, fits, epochs=2)
    assert problems(fig) == []
    assert len([ax for ax in fig.axes if ax.get_legend() is not None]) == 3


def test_exploding_gradients_figure_is_labelled():
    from demos import exploding_gradients as ex

    runs = {"no clipping": {"loss": [1.0, 1e9, 0.3], "grad_norm": [10.0, 1e10, 1e-7]},
            f"clip_norm={ex.CLIP_NORM:g}": {"loss": [1.0, 0.5, 0.1], "grad_norm": [10.0, 5.0, 2.0]}}
    fig = ex._plot([2, 4], {1.0: [1.0, 1.2], ex.GAIN: [3.0, 30.0]}, [30.0, 10.0, 3.0], runs, 0.3, 3)
    assert problems(fig) == []
    assert len([ax for ax in fig.axes if ax.get_legend() is not None]) == 4


def test_every_plotting_demo_is_checked():
    # a new demo that draws must be added here: PLOTTING lists every demo module that calls save_figure
    drawing = {p.stem for p in (ROOT / "demos").glob("*.py")
               if not p.stem.startswith("_") and "save_figure(" in p.read_text(encoding="utf-8")}
    assert drawing == set(PLOTTING)
    assert set(QUICK) | SLOW == set(PLOTTING) and not set(QUICK) & SLOW


def test_the_checker_finds_an_unlabelled_plot():
    from demos._common import new_figure

    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    assert problems(fig) == ["panel 0 (''): no x-axis label", "panel 0 (''): no y-axis label",
                             "panel 0 (''): no legend (and no labelled colour bar for its colours)"]
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.plot([0, 1], [1, 0], label="down")
    ax.legend(loc="upper left", bbox_to_anchor=(1.5, 1.0))  # far outside the picture
    assert problems(fig) == ["a legend (['down'] ...) is cut off by the figure's edge"]
    ax.legend(loc="upper left")
    assert problems(fig) == []
