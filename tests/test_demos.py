"""Every demo runs in --quick mode (in-process, figures into tmp_path) and produces its key figure.

The figures asserted are the lectures' numbers (0.49, -4.2, 4.3; (-14, -2); [[6, 1], [1, 0]]; a - y) and the
demos' outcomes (XOR 100%, moons, digits, ...). Demos need matplotlib and scikit-learn (the ``demos`` extra):
a demo's test is skipped when a package it needs is missing (DEMO_NEEDS); the shared plumbing is tested without them.
"""

from __future__ import annotations

import importlib
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMOS = ("worked_example", "chain_rule", "logistic_regression", "xor", "regression", "moons", "digits",
         "vanishing_gradients", "delta_rule")
PNG = b"\x89PNG\r\n\x1a\n"
# the optional packages each demo's main() imports (graphviz and dot are optional for all: save_graph falls back)
DEMO_NEEDS = {"worked_example": (), "chain_rule": ("matplotlib",), "logistic_regression": ("matplotlib",),
              "xor": ("matplotlib",), "regression": ("matplotlib",), "moons": ("matplotlib", "sklearn"),
              "digits": ("matplotlib", "sklearn"), "vanishing_gradients": ("matplotlib",), "delta_rule": ()}


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


def test_regression(tmp_path):
    r = run_demo("regression", tmp_path)
    assert r["num_parameters"] == 13
    assert set(r["curves"]) == {"batch", "stochastic", "minibatch (m=8)"}
    for name, curve in r["curves"].items():
        assert len(curve) == r["epochs"] + 1
        assert curve[-1] < curve[0], f"{name} did not decrease the loss"
    # the same initial weights for all three variants
    assert len({round(c[0], 12) for c in r["curves"].values()}) == 1
    assert r["updates"] == {"batch": r["epochs"], "stochastic": 41 * r["epochs"], "minibatch (m=8)": 6 * r["epochs"]}
    assert min(r["curves"]["stochastic"]) < 0.05  # near the noise floor (0.01) within the quick run


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
    assert r["single_example_max_diff"] <= 1e-12
    assert r["single_example_loss_diff"] <= 1e-12
    assert len(r["checks"]) == 4
    for c in r["checks"]:
        assert c["ok"], c
        assert c["max_rel"] <= 1e-12
    rules = [c["rule"] for c in r["checks"]]
    assert "a[L] - y" in rules[0] and "a[L] - y" in rules[1]


# ---------------------------------------------------------------------------------------------------------------
# the shared plumbing
# ---------------------------------------------------------------------------------------------------------------
def test_graph_falls_back_to_dot_source_without_the_dot_program(tmp_path, monkeypatch, capsys):
    pytest.importorskip("graphviz")
    from autograd_core import Value
    from demos import _common

    monkeypatch.setattr(_common.shutil, "which", lambda name: None)
    v = Value(2.0, label="a") * Value(3.0, label="b")
    path = _common.save_graph(v, tmp_path, "g")
    assert path == tmp_path / "g.dot"
    assert "digraph" in path.read_text(encoding="utf-8")
    out = capsys.readouterr().out
    assert "install Graphviz" in out and "dot -Tsvg" in out


def test_graph_falls_back_to_text_tree_without_the_graphviz_package(tmp_path, monkeypatch, capsys):
    from autograd_core import Value
    from demos import _common

    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now raises ImportError
    v = Value(2.0, label="a") * Value(3.0, label="b")
    path = _common.save_graph(v, tmp_path, "g")
    assert path == tmp_path / "g.txt"
    assert "a" in path.read_text(encoding="utf-8")
    assert "autograd-core[viz]" in capsys.readouterr().out


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
    assert {p.stem for p in (ROOT / "demos").glob("*.py") if not p.stem.startswith("_")} == set(DEMOS)
    section = (ROOT / "docs" / "readme" / "demos.md").read_text(encoding="utf-8")
    for name in DEMOS:
        assert f"python -m demos.{name}" in section, name


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
