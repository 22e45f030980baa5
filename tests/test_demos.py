"""Every demo runs in --quick mode (in-process, figures into tmp_path) and produces its key figure.

The figures asserted are the lectures' numbers (0.49, -4.2, 4.3; (-14, -2); [[6, 1], [1, 0]]; a - y) and the
demos' outcomes (XOR 100%, moons, digits, ...). Demos need matplotlib and scikit-learn (the ``demos`` extra):
a demo's test is skipped when a package it needs is missing (DEMO_NEEDS); the shared plumbing is tested without them.
"""

from __future__ import annotations

import importlib
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMOS = ("worked_example", "chain_rule", "logistic_regression", "xor", "regression", "moons", "digits",
         "vanishing_gradients", "delta_rule", "zero_init", "descent_paths", "activations", "losses", "exercise_003",
         "exploding_gradients")
PNG = b"\x89PNG\r\n\x1a\n"
# the optional packages each demo's main() imports (dot is optional for all: save_graph falls back to DOT source)
DEMO_NEEDS = {"worked_example": (), "chain_rule": ("matplotlib",), "logistic_regression": ("matplotlib",),
              "xor": ("matplotlib",), "regression": ("matplotlib",), "moons": ("matplotlib", "sklearn"),
              "digits": ("matplotlib", "sklearn"), "vanishing_gradients": ("matplotlib",), "delta_rule": (),
              "zero_init": ("matplotlib",), "descent_paths": ("matplotlib",), "activations": ("matplotlib",),
              "losses": ("matplotlib",), "exercise_003": (), "exploding_gradients": ("matplotlib",)}


@pytest.fixture(autouse=True)
def _repo_on_path(monkeypatch):
    # demos/ is run from the repository root (python -m demos.NAME); pytest puts only tests/ on sys.path
    monkeypatch.syspath_prepend(str(ROOT))


def run_demo(name: str, out: Path) -> dict:
    for package in DEMO_NEEDS[name]:
        pytest.importorskip(package, reason=f"the {name} demo needs {package} (pip install 'autograd-core[demos]')")
    module = importlib.import_module(f"demos.{name}")
    result = module.main(["--quick", "--out", str(out)])
    assert isinstance(result, dict)
    assert result["files"], f"{name} wrote no file"
    for f in result["files"]:
        path = Path(f)
        assert path.parent == out
        assert path.stat().st_size > 0
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG
        elif path.suffix == ".svg":
            assert "<svg" in path.read_text(encoding="utf-8")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")], "a temporary file was left behind"
    return result


def test_worked_example(tmp_path, capsys):
    r = run_demo("worked_example", tmp_path)
    assert r["y_hat"] == pytest.approx(0.3, abs=1e-12)
    assert r["loss"] == pytest.approx(0.49, abs=1e-12)
    assert r["grad"] == pytest.approx(-4.2, abs=1e-12)
    assert r["formula_grad"] == pytest.approx(r["grad"], abs=1e-12)
    assert r["new_w"] == pytest.approx(4.3, abs=1e-12)
    assert r["new_loss"] == pytest.approx((4.3 * 3 - 1) ** 2, rel=1e-12)
    out = capsys.readouterr().out
    assert "0.49" in out and "-4.2" in out and "4.3" in out
    # one frame per backward step (3 steps) plus the whole graph
    assert len(r["files"]) == 4


def test_chain_rule(tmp_path):
    r = run_demo("chain_rule", tmp_path)
    assert r["max_abs_diff"] <= 1e-12
    assert r["gradient"] == pytest.approx((-14.0, -2.0), abs=1e-12)
    assert r["value"] == pytest.approx(16.0, abs=1e-12)
    h = r["hessian"]
    for row, want in zip(h, [[6.0, 1.0], [1.0, 0.0]]):
        assert row == pytest.approx(want, abs=1e-12)


def test_logistic_regression(tmp_path):
    r = run_demo("logistic_regression", tmp_path)
    a, y = r["a"], 1.0
    x = (1.0, 2.0, -1.0)
    assert r["dz"] == pytest.approx(a - y, abs=1e-12)
    assert r["db"] == pytest.approx(a - y, abs=1e-12)
    assert r["dw"] == pytest.approx([(a - y) * xi for xi in x], abs=1e-12)
    assert r["max_formula_diff"] <= 1e-12
    assert r["train_accuracy"] == 1.0


def test_logistic_regression_data_is_separable():
    from demos.logistic_regression import separable_data

    X, y = separable_data(40, seed=0)
    assert len(X) == 40 and set(y) == {0, 1}
    for x, t in zip(X, y):
        s = x[0] + 2 * x[1] - x[2] + 0.5
        assert (s > 0) == (t == 1) and abs(s) >= 0.3


def test_xor(tmp_path):
    r = run_demo("xor", tmp_path)
    assert r["linear_accuracy"] < 1.0
    assert r["best_linear_accuracy"] == 0.75  # no line gets all four XOR points right
    assert r["linear_loss"] == pytest.approx(math.log(2), abs=1e-3)
    assert r["mlp_accuracy"] == 1.0
    assert r["mlp_loss"] < 0.05


def test_regression(tmp_path, capsys):
    r = run_demo("regression", tmp_path)
    # notes 001's network: 13 parameters, a sigmoid output; its data begin with the notes' three points
    assert r["num_parameters"] == 13
    assert r["output_activation"] == "sigmoid"
    assert r["first_points"] == [(-4.8, 0.0), (-4.5, 0.5), (-4.3, 0.3)]
    assert "{(-4.8, 0.0), (-4.5, 0.5), (-4.3, 0.3), ...}" in capsys.readouterr().out
    assert set(r["curves"]) == {"batch", "stochastic", "minibatch (m=8)"}
    for name, curve in r["curves"].items():
        assert len(curve) == r["epochs"] + 1
        assert curve[-1] < curve[0], f"{name} did not decrease the loss"
    # the same initial weights for all three variants
    assert len({round(c[0], 12) for c in r["curves"].values()}) == 1
    n = r["samples"]
    assert n == 40
    assert r["updates"] == {"batch": r["epochs"], "stochastic": n * r["epochs"], "minibatch (m=8)": 5 * r["epochs"]}
    # per epoch, stochastic descent leaves the plateau first (the full run reaches the target's own 0.0039)
    assert min(r["curves"]["stochastic"]) < min(r["curves"]["batch"])
    assert min(r["curves"]["stochastic"]) < 0.035


def test_regression_data_are_the_notes_then_ours():
    from demos import regression

    X, t = regression.make_data()
    assert [(x[0], ti) for x, ti in zip(X[:3], t[:3])] == list(regression.NOTES_POINTS)
    assert all(0.0 <= ti <= 1.0 for ti in t)  # inside a sigmoid output's range
    assert all(0.1 <= regression.target(x[0]) <= 0.9 for x in X)
    assert regression.build_model().num_parameters() == 13


def test_moons(tmp_path, capsys):
    r = run_demo("moons", tmp_path)
    # --quick trains exactly as the full run (micrograd's 100 steps); only the plot is coarser
    assert r["steps"] == 100
    assert r["accuracy"] == 1.0
    assert r["losses"][0] == pytest.approx(0.8958441028683222, abs=1e-9)  # micrograd's first loss, same weights
    assert r["final_loss"] < 0.02
    assert r["accuracies"][0] == 0.5 and r["accuracies"][-1] == 1.0
    assert r["delta_max_rel"] <= 1e-12
    out = capsys.readouterr().out
    assert "training accuracy   100%" in out
    # --compile replays each step with autograd_core.compile: the very same losses and accuracies, bit for bit
    for package in DEMO_NEEDS["moons"]:
        pytest.importorskip(package)
    compiled = importlib.import_module("demos.moons").main(["--quick", "--out", str(tmp_path), "--compile"])
    assert compiled["losses"] == r["losses"] and compiled["accuracies"] == r["accuracies"]
    assert compiled["nodes_per_step"] == r["nodes_per_step"]


def test_digits(tmp_path):
    r = run_demo("digits", tmp_path)
    assert (r["train_size"], r["test_size"]) == (500, 250)
    assert r["test_accuracy"] >= 0.88
    matrix = r["confusion"]
    assert sum(map(sum, matrix)) == 250
    assert sum(matrix[i][i] for i in range(10)) / 250 == pytest.approx(r["test_accuracy"])
    assert r["binary_accuracy"] >= 0.95
    assert r["binary_accuracy"] > r["binary_baseline"]  # better than always saying "not a 2"
    assert r["binary_recall"] >= 0.5


def test_digits_confusion_matrix():
    from demos.digits import confusion_matrix

    assert confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], n=3) == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_vanishing_gradients(tmp_path, capsys):
    r = run_demo("vanishing_gradients", tmp_path)
    assert r["max_sigmoid_slope"] == pytest.approx(0.25, abs=1e-12)
    norms = r["norms"]
    assert set(norms) == {"sigmoid", "tanh", "relu"}
    assert all(len(v) == 10 for v in norms.values())
    # sigmoid: the gradient shrinks toward the input, by orders of magnitude; tanh and relu keep it
    assert r["ratio"]["sigmoid"] < 1e-4
    assert r["ratio"]["tanh"] > 0.1 and r["ratio"]["relu"] > 0.1
    assert all(a < b for a, b in zip(norms["sigmoid"], norms["sigmoid"][1:]))
    assert "0.25" in capsys.readouterr().out


def test_delta_rule(tmp_path):
    r = run_demo("delta_rule", tmp_path)
    # reduction="sum": delta^L is notes 000's a - y and notes 001's -(t - y) s'(d); the mean is exactly half of it
    for loss in ("binary_cross_entropy", "half_mse"):
        notes = r["notes"][loss]
        assert notes["max_diff"] <= 1e-15
        assert notes["ratios"] == pytest.approx([0.5, 0.5], abs=1e-15)
        assert notes["engine_ok"]
    assert r["notes"]["binary_cross_entropy"]["rule_sum"].startswith("δ[L] = a[L] - y")
    assert r["notes"]["binary_cross_entropy"]["rule_mean"].startswith("δ[L] = (a[L] - y)/N")
    assert r["single_example_max_diff"] <= 1e-12
    assert r["single_example_loss_diff"] <= 1e-12
    assert len(r["checks"]) == 4
    for c in r["checks"]:
        assert c["ok"], c
        assert c["max_rel"] <= 1e-12
    rules = [c["rule"] for c in r["checks"]]
    assert "a[L] - y" in rules[0] and "a[L] - y" in rules[1]


def test_zero_init(tmp_path):
    r = run_demo("zero_init", tmp_path)
    zero, constant, rand = (r["results"][k] for k in ("zero", "constant 0.5", "random"))
    # all-zero weights: nothing moves, the loss is ln 2 at every step, every output 0.5
    assert r["curves"]["zero"] == pytest.approx([math.log(2)] * r["epochs"], abs=1e-12)
    assert zero["final_loss"] == pytest.approx(math.log(2), abs=1e-12)
    assert zero["outputs"] == pytest.approx([0.5] * 4, abs=1e-12)
    # equal initial rows stay equal: the hidden units never differ
    assert zero["row_spread"] == 0.0 and constant["row_spread"] <= 1e-12
    assert constant["accuracy"] < 1.0
    assert rand["initial_row_spread"] > 0.1 and rand["accuracy"] == 1.0 and rand["final_loss"] < 0.1


def test_descent_paths(tmp_path):
    r = run_demo("descent_paths", tmp_path)
    res = r["results"]
    assert [res[k]["steps"] for k in ("batch", "stochastic", "minibatch (m=5)")] == [r["epochs"], 20 * r["epochs"],
                                                                                      4 * r["epochs"]]
    assert res["batch"]["rises"] == 0  # the exact gradient of L: L falls at every step
    assert res["stochastic"]["rises"] > 0  # one example's gradient at a time: some steps raise L
    from demos.descent_paths import full_loss, least_squares, make_data

    X, t = make_data()
    best = full_loss(*least_squares(X, t), X, t)
    for name, v in res.items():
        assert v["distance"] < 0.2, name
        assert v["final_loss"] < 1.05 * best, name
        assert all(c >= best - 1e-12 for c in r["losses"][name])  # no path goes below the minimum
    # the closed form is the minimum: the engine's gradient of L vanishes there
    import autograd_core as ag

    grad = ag.grad(lambda w, b: ag.sum([(w * x[0] + b - ti) ** 2 for x, ti in zip(X, t)]) * (1 / len(X)),
                   argnums=(0, 1))(*least_squares(X, t))
    assert grad == pytest.approx((0.0, 0.0), abs=1e-12)


def test_activations(tmp_path):
    r = run_demo("activations", tmp_path)
    results = r["results"]
    assert set(results) == {"linear", "binary step", "sigmoid", "tanh", "ReLU", "softplus", "leaky ReLU", "ELU"}
    for name, v in results.items():
        assert v["max_derivative_diff"] <= 1e-12, name  # the engine's derivative is notes 002's formula
        assert v["in_range"], name
    # the convention at 0: PyTorch's, not the notes' 1
    assert results["ReLU"]["derivative_at_0"] == 0.0
    assert results["leaky ReLU"]["derivative_at_0"] == pytest.approx(0.01, abs=1e-15)
    assert results["binary step"]["derivative_at_0"] == 0.0
    assert results["ELU"]["derivative_at_0"] == 1.0 and results["sigmoid"]["derivative_at_0"] == 0.25
    assert r["max_sigmoid_slope"] == pytest.approx(0.25, abs=1e-12) and r["max_step_slope"] == 0.0
    assert len(r["files"]) == 2


def test_losses(tmp_path):
    r = run_demo("losses", tmp_path)
    kl, l2 = r["probes"][0.01]["kl"], r["probes"][0.01]["l2"]
    assert kl[0] == pytest.approx(-math.log(0.01), rel=1e-12) and l2[0] == pytest.approx(0.99 ** 2, rel=1e-12)
    assert kl[1] == pytest.approx(-100.0, rel=1e-9) and l2[1] == pytest.approx(-1.98, rel=1e-9)
    # through a sigmoid: dKL/dz = Y - d, dL2/dz = 2 (Y - d) Y (1 - Y)
    assert kl[2] == pytest.approx(-0.99, rel=1e-9) and l2[2] == pytest.approx(2 * -0.99 * 0.01 * 0.99, rel=1e-9)
    assert r["ratio_dz_at_0.01"] == pytest.approx(1 / (2 * 0.01 * 0.99), rel=1e-9)  # 1 / (2 σ'(z)): about 50
    for v in r["probes"].values():
        assert v["kl"][0] >= v["l2"][0]  # KL rises more steeply away from d = 1
    assert all(abs(y - 1.0) < 0.01 for y in r["argmin"].values())


def test_exercise_003(tmp_path):
    r = run_demo("exercise_003", tmp_path)
    from demos.exercise_003 import ASKED

    assert set(ASKED) <= set(r["engine"])
    assert r["max_hand_diff"] <= 1e-12  # the corrected hand formula is the engine's gradient
    for name, g in r["engine"].items():
        assert r["hand"][name] == pytest.approx(g, abs=1e-12)
    # the printed solution's d o / d w_11^(1,2) in place of d o / d y_n1 gives another number
    w11 = "w_11^(0,1)"
    assert r["engine"][w11] == pytest.approx(-0.0124981, abs=1e-7)
    assert r["printed"][w11] == pytest.approx(-0.0129687, abs=1e-7)
    assert abs(r["printed"][w11] - r["engine"][w11]) > 1e-4
    # the same network as an MLP, addressed through nn.delta's notes-003 index mapping
    assert r["mlp_loss"] == pytest.approx(r["E"], abs=1e-15)
    assert r["mlp_max_diff"] <= 1e-15 and r["delta_max_diff"] <= 1e-15


def test_exercise_003_slip_is_the_wrong_factor():
    # the printed formula differs from the correct one exactly by y_n1 in place of w_11^(1,2): with one sample the
    # ratio of the two is w_11^(1,2) / y_11
    from demos import exercise_003 as ex

    x, d = ex.X[:1], ex.D[:1]
    correct = ex.hand_gradients(X=x, D=d)["w_11^(0,1)"]
    printed = ex.printed_gradient(1, 1, X=x, D=d)
    net = sum(ex.W01[i][0] * x[0][i] for i in range(3))
    y11 = 1 / (1 + math.exp(-net))
    assert correct / printed == pytest.approx(ex.W12[0] / y11, rel=1e-12)


def test_exploding_gradients(tmp_path):
    r = run_demo("exploding_gradients", tmp_path)
    assert r["growth"] > 100  # He x 1.5: the gradient at initialisation grows by orders of magnitude with depth
    norms = r["delta_norms"]
    assert norms[0] / norms[-1] > 10  # delta grows on the way back to the input
    free, clipped = r["runs"]["no clipping"], r["runs"]["clip_norm=1"]
    assert free["loss"][0] == clipped["loss"][0]  # the same initial weights
    assert max(free["grad_norm"]) > 1e6 and max(free["loss"]) > 1e6 * free["loss"][0]  # it explodes
    assert max(clipped["loss"]) == clipped["loss"][0]  # clipped steps never overshoot above the start
    assert clipped["final_loss"] < 0.5 * r["baseline"] < free["final_loss"]


# ---------------------------------------------------------------------------------------------------------------
# the shared plumbing
# ---------------------------------------------------------------------------------------------------------------
def test_graph_falls_back_to_dot_source_without_the_dot_program(tmp_path, monkeypatch, capsys):
    from autograd_core import Value
    from demos import _common

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no dot on PATH
    v = Value(2.0, label="a") * Value(3.0, label="b")
    path = _common.save_graph(v, tmp_path, "g")
    assert path == tmp_path / "g.dot"
    assert "digraph" in path.read_text(encoding="utf-8")
    out = capsys.readouterr().out
    assert "install Graphviz" in out and "dot -Tsvg" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]


def test_graph_needs_no_graphviz_package(tmp_path, monkeypatch, capsys):
    from autograd_core import Value
    from demos import _common

    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now raises ImportError
    v = Value(2.0, label="a") * Value(3.0, label="b")
    path = _common.save_graph(v, tmp_path, "g", rankdir="TB")
    if shutil.which("dot") is None:
        assert path == tmp_path / "g.dot" and "rankdir=TB" in path.read_text(encoding="utf-8")
    else:
        assert path == tmp_path / "g.svg" and "<svg" in path.read_text(encoding="utf-8")
        assert capsys.readouterr().out == ""
    assert "viz" not in capsys.readouterr().out


def test_out_must_be_a_folder(tmp_path):
    from demos import _common

    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(SystemExit) as e:
        _common.parse_args("x", "d", ["--out", str(f)], "q")
    assert e.value.code == 2


def test_out_folder_is_created_and_default(tmp_path, monkeypatch):
    from demos import _common

    args = _common.parse_args("x", "d", ["--out", str(tmp_path / "a" / "b")], "q")
    assert args.out.is_dir() and not args.quick
    monkeypatch.chdir(tmp_path)
    args = _common.parse_args("x", "d", ["--quick"], "q")
    assert args.quick and args.out == Path("demo_out") and (tmp_path / "demo_out").is_dir()


def test_save_figure_is_atomic_on_failure(tmp_path):
    from demos import _common

    class Broken:
        def savefig(self, f, format, dpi):
            f.write(b"partial")
            raise RuntimeError("disk full")

    target = tmp_path / "fig.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        _common.save_figure(Broken(), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]
    with pytest.raises(ValueError, match="suffix"):
        _common.save_figure(Broken(), tmp_path / "noext")


def test_demo_runs_as_a_module(tmp_path):
    # the commands the README shows, as subprocesses from the repository root
    proc = subprocess.run([sys.executable, "-m", "demos.worked_example", "--quick", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "4.3" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "demos.moons", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and "--quick" in proc.stdout and "--out" in proc.stdout


def test_every_demo_is_listed_tested_and_documented():
    import demos

    assert set(demos.DEMOS) == set(DEMOS) == set(DEMO_NEEDS)
    assert demos.NEEDS == DEMO_NEEDS  # what each demo checks before it starts
    assert {p.stem for p in (ROOT / "demos").glob("*.py") if not p.stem.startswith("_")} == set(DEMOS)
    section = (ROOT / "docs" / "readme" / "demos.md").read_text(encoding="utf-8")
    for name in DEMOS:
        assert f"python -m demos.{name}" in section, name


# ---------------------------------------------------------------------------------------------------------------
# without the demos extra: one line saying what to install, never a traceback
# ---------------------------------------------------------------------------------------------------------------
def block(tmp_path: Path, packages) -> dict:
    """The environment of a Python process in which importing ``packages`` fails, as if they were not installed
    (a sitecustomize on PYTHONPATH, which every process runs at startup); the checkout is on PYTHONPATH too."""
    site = tmp_path / "blocker"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(
        "import sys\n" + "".join(f"sys.modules[{p!r}] = None\n" for p in packages))
    paths = [str(site), str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


@pytest.mark.parametrize("name", [n for n in DEMOS if DEMO_NEEDS[n]])
def test_demo_without_its_packages_says_what_to_install_in_one_line(tmp_path, name):
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    done = subprocess.run([sys.executable, "-m", f"demos.{name}", "--quick"], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=block(tmp_path, ("matplotlib", "sklearn")))
    assert (done.returncode, done.stdout) == (1, "")  # checked before the demo prints anything
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"python -m demos.{name}: error: the {name} demo needs matplotlib")
    assert "pip install 'autograd-core[demos]'" in done.stderr
    assert list(cwd.iterdir()) == []  # not even the output folder
    # --help works without the extra
    done = subprocess.run([sys.executable, "-m", f"demos.{name}", "--help"], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=block(tmp_path, ("matplotlib", "sklearn")))
    assert done.returncode == 0 and "--quick" in done.stdout


@pytest.mark.parametrize("name", [n for n in DEMOS if not DEMO_NEEDS[n]])
def test_demo_without_needs_runs_without_any_optional_package(tmp_path, name):
    blocked = ("matplotlib", "sklearn", "tqdm", "numpy", "graphviz", "torch", "scipy")
    done = subprocess.run([sys.executable, "-m", f"demos.{name}", "--quick", "--out", "figs"], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env=block(tmp_path, blocked))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "figs").is_dir()


def test_parse_args_checks_the_demos_packages_before_it_starts(tmp_path, monkeypatch, capsys):
    from demos import _common

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModuleNotFoundError) as err:  # called from Python: an exception that says what to install
        _common.parse_args("chain_rule", "d", ["--quick"], "q")
    assert err.value.name == "matplotlib"
    assert str(err.value) == ("the chain_rule demo needs matplotlib: pip install 'autograd-core[demos]' (or pip "
                              "install matplotlib)")
    monkeypatch.setattr(sys, "argv", ["chain_rule", "--quick"])
    with pytest.raises(SystemExit) as exit_:  # run as a program: one line, exit code 1
        _common.parse_args("chain_rule", "d", None, "q")
    assert exit_.value.code == 1
    assert capsys.readouterr().err == ("python -m demos.chain_rule: error: the chain_rule demo needs matplotlib: pip "
                                       "install 'autograd-core[demos]' (or pip install matplotlib)\n")
    assert list(tmp_path.iterdir()) == []
    assert _common.parse_args("worked_example", "d", ["--quick"], "q").quick  # needs nothing


def test_run_turns_a_missing_package_into_one_line_and_exit_1(capsys):
    from demos import _common

    def needs_extra(argv):
        try:
            import not_installed_anywhere  # noqa: F401
        except ImportError as e:
            raise ImportError("the x demo needs y: pip install 'autograd-core[demos]'") from e

    with pytest.raises(SystemExit) as e:
        _common.run(needs_extra, [])
    assert e.value.code == 1
    err = capsys.readouterr().err
    assert err == f"python -m {__name__}: error: the x demo needs y: pip install 'autograd-core[demos]'\n"

    def bare(argv):
        raise ModuleNotFoundError("No module named 'sklearn'", name="sklearn")

    with pytest.raises(SystemExit) as e:
        _common.run(bare, [])
    assert e.value.code == 1
    assert capsys.readouterr().err.endswith("error: this demo needs scikit-learn: pip install 'autograd-core[demos]'\n")

    def bug(argv):
        import not_installed_anywhere  # noqa: F401  # not an optional package: a real error, with its traceback

    with pytest.raises(ModuleNotFoundError):
        _common.run(bug, [])

    def interrupted(argv):
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as e:
        _common.run(interrupted, [])
    assert e.value.code == 130 and capsys.readouterr().err.endswith(": interrupted\n")

    seen = []
    with pytest.raises(SystemExit) as e:
        _common.run(seen.append, ["--quick"])
    assert e.value.code == 0 and seen == [["--quick"]]


def test_run_as_the_demos_main_block(tmp_path):
    # what `if __name__ == "__main__": run(main)` does in a demo run with `python -m`
    script = textwrap.dedent("""\
        import runpy, sys
        from demos._common import run
        module = runpy.run_module("demos.moons", run_name="not_main")
        sys.argv = ["moons", "--quick"]
        run(module["main"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env=block(tmp_path, ("sklearn",)))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.count("\n") == 1 and "scikit-learn" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("name", DEMOS)
def test_demo_main_block_uses_run(name):
    source = (ROOT / "demos" / f"{name}.py").read_text(encoding="utf-8")
    # `python -m demos.NAME` goes through _common.run: a missing package is one line, never a traceback
    block_ = source[source.index('if __name__ == "__main__":'):]
    assert block_.split() == ['if', '__name__', '==', '"__main__":', 'run(main)'], f"demos/{name}.py"


# ---------------------------------------------------------------------------------------------------------------
# installed, the demos run from any folder
# ---------------------------------------------------------------------------------------------------------------
def test_demos_run_from_any_folder_after_a_plain_install(tmp_path):
    src = tmp_path / "src"  # a copy: pip builds in the source tree, which must stay clean
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("autograd_core", "nn", "demos"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(site), str(src)], capture_output=True, text=True,
                          timeout=300)
    if done.returncode != 0 and "setuptools" in done.stderr:
        pytest.skip(f"cannot build the package here (setuptools missing): {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    assert (site / "demos" / "_common.py").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import demos, autograd_core; print(demos.__file__); "
                            "print(autograd_core.__file__)"], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert [Path(p).parent.parent for p in where.stdout.split()] == [site, site]  # the installed copy, not ROOT
    done = subprocess.run([sys.executable, "-m", "demos.worked_example", "--quick"], capture_output=True, text=True,
                          timeout=120, cwd=elsewhere, env=env)
    assert done.returncode == 0, done.stderr
    assert "4.3" in done.stdout
    assert any((elsewhere / "demo_out").iterdir())  # the default output folder is in the current folder


# ---------------------------------------------------------------------------------------------------------------
# python -m benchmarks: the pieces that are not timing (no assert on any time)
# ---------------------------------------------------------------------------------------------------------------
def test_pytorch_scalar_graph_computes_our_losses():
    pytest.importorskip("torch")
    from benchmarks import peers, training

    X, y, _ = training.make_moons(100, 0.1, 1337)
    r = peers.run(X[:20], y[:20], steps=2)
    assert r["torch"] and r["threads"] == 1
    assert len(r["losses"]) == len(r["torch_losses"]) == 2
    assert r["losses_agree"] and r["max_loss_diff"] <= 1e-9
    assert r["losses"][1] != r["losses"][0]  # the update happened in both
    with pytest.raises(ValueError, match="steps"):
        peers.run(X, y, steps=0)


def _fake_results(with_peers: bool) -> dict:
    train = {"steps": 100, "ours_ms": 50.0, "ours_noscope_ms": 48.0, "micrograd_ms": 700.0 if with_peers else None,
             "speedup": 14.0 if with_peers else None, "max_loss_diff": 3e-16,
             "micrograd_losses": [0.9] if with_peers else None, "note": "" if with_peers else "no micrograd"}
    torch = {"steps": 10, "torch": "2.13.0" if with_peers else None, "ours_ms": 52.0 if with_peers else None,
             "torch_ms": 480.0 if with_peers else None, "speedup": 9.2 if with_peers else None,
             "max_loss_diff": 2e-16 if with_peers else None, "note": "" if with_peers else "no torch"}
    engine = {"micrograd": "0.1.0" if with_peers else None, "note": None if with_peers else "no micrograd",
              "tree": {"nodes": 199999, "ours_us_per_node": 1.5, **({"micrograd_us_per_node": 9.0} if with_peers
                                                                       else {})},
              "memory": {"ours_bytes_per_node": 160.0, **({"micrograd_bytes_per_node": 650.0} if with_peers else {})},
              "chain": {"small_nodes": 10001, "large_nodes": 1000001, "small_us_per_node": 0.8,
                        "large_us_per_node": 1.0, "ratio": 1.25}}
    results = {"quick": False, "seconds": 1.0, "training": train, "torch": torch, "engine": engine,
               "machine": {"cpu": "cpu", "cores": 2, "os": "os", "python": "3", "implementation": "CPython",
                           "load_average": [0.1, 0.1, 0.1], "load_average_after": [0.1, 0.1, 0.1]}}
    from benchmarks import __main__ as bench

    results["targets"] = bench.verdicts(results)
    return results


def test_benchmark_verdicts_table_and_json(tmp_path):
    import json

    from benchmarks import __main__ as bench

    results = _fake_results(with_peers=True)
    met = {t["target"]: t["met"] for t in results["targets"]}
    assert met == {"faster than micrograd per demo step": True,
                   "faster than PyTorch 0-d tensors per demo step": False,
                   "memory per node vs micrograd's": True,
                   "loss trajectory equals micrograd's over 100 steps": True}
    table = bench.markdown(results)
    assert table.startswith("| figure |")
    assert "14.0x" in table and "9.2x" in table and "**MISSED**" in table and "0.25: met" in table
    path = bench.write_json(results, tmp_path / "results" / "b.json")
    assert json.loads(path.read_text(encoding="utf-8"))["training"]["speedup"] == 14.0
    assert [p.name for p in path.parent.iterdir()] == ["b.json"]  # no temporary file left

    absent = _fake_results(with_peers=False)
    assert all(t["met"] is None for t in absent["targets"])
    table = bench.markdown(absent)
    assert "skipped" in table and "not measured" in table and "Note: no torch." in table


def test_benchmark_command_line_checks_its_arguments(tmp_path):
    from benchmarks import __main__ as bench

    with pytest.raises(SystemExit):
        bench.main(["--steps", "0"])
    with pytest.raises(SystemExit):
        bench.main(["--json", str(tmp_path)])
