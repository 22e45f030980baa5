"""benchmarks/training.py: same data, same initial weights, same loss trajectory as micrograd (no timing asserts)."""

import importlib.util
import pathlib
import random

import pytest

import nn

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "training.py"


def _bench():
    spec = importlib.util.spec_from_file_location("benchmarks_training", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_moons_data():
    bench = _bench()
    X, y, source = bench.make_moons(100, 0.1, 1)
    assert len(X) == len(y) == 100 and all(len(x) == 2 for x in X)
    assert sorted(set(y)) == [-1.0, 1.0]
    assert bench.make_moons(100, 0.1, 1)[0] == X  # seeded
    assert source


def test_copy_of_micrograd_weights_gives_the_same_outputs():
    pytest.importorskip("micrograd")
    from micrograd.engine import Value as MicrogradValue

    bench = _bench()
    state = random.getstate()
    theirs = bench.micrograd_model(1337)
    assert random.getstate() == state  # the benchmark restores the global state it seeds
    ours = nn.MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    bench.copy_micrograd_weights(theirs, ours)
    for x in ([0.5, -0.3], [1.2, 0.8], [-1.0, 0.25]):
        assert ours.predict(x) == theirs(list(map(MicrogradValue, x))).data


def test_run_loss_trajectories_agree_with_micrograd():
    pytest.importorskip("micrograd")
    result = _bench().run(steps=2)
    assert result["losses_agree"] is True
    assert result["max_loss_diff"] <= 1e-9
    assert result["micrograd_losses"] == pytest.approx(result["losses"], rel=1e-12)
    assert all(0 < loss < 10 for loss in result["losses"])  # the demo's first losses are about 0.9 and 1.6
    assert result["speedup"] > 0 and set(result["phases_ms"]) == {"forward + loss", "backward", "update"}
