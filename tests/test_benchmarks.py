"""benchmarks.contenders and the own-process table: same losses on every engine, markdown from JSON (no timing)."""

from __future__ import annotations

import json
import math

import pytest

from benchmarks import __main__ as bench
from benchmarks import contenders


def test_the_gpt_step_runs_unchanged_on_both_engines_with_the_same_losses():
    from autograd_core import Value

    ours, theirs = contenders.gpt_model(Value), contenders.gpt_model(contenders.MicroValue)
    for k in range(2):
        a, b = contenders.gpt_step(ours, k), contenders.gpt_step(theirs, k)
        assert math.isclose(a, b, rel_tol=1e-12)
    assert a < 4.0  # about log(vocabulary) at the start


@pytest.mark.parametrize("engine", ["ours", "ours-user", "compiled", "microgpt"])
def test_the_demo_step_gives_micrograd_s_first_losses(engine):
    pytest.importorskip("sklearn")
    pytest.importorskip("micrograd")
    step = contenders._demo(engine)
    losses = [step(0), step(1)]
    assert losses[0] == pytest.approx(0.8958441028683222, rel=1e-12)
    assert losses[1] == pytest.approx(1.7235905336972022, rel=1e-12)


def test_the_microgpt_design_engine_differentiates():
    x, y = contenders.MicroValue(2.0), contenders.MicroValue(3.0)
    z = (x * y + x / y - y ** 2).exp().log() - x.relu()
    z.backward()
    assert x.grad == pytest.approx(3.0 + 1 / 3 - 1.0) and y.grad == pytest.approx(2.0 - 2 / 9 - 6.0)


def _fake_processes():
    row = {"ms": 2.0, "first_ms": 900.0, "losses": [1.0, 0.5], "steps": 2}
    return {"demo": {"ours": {**row, "ms": 20.0}, "compiled": row, "micrograd": {**row, "ms": 1000.0},
                     "torch": {"note": "torch skipped: not installed"}},
            "gpt": {"ours": {**row, "ms": 70.0}, "microgpt": {**row, "ms": 100.0}}}


def test_own_process_targets_and_table_come_from_the_json():
    published = json.loads(bench.PUBLISHED.read_text(encoding="utf-8"))
    published["processes"] = _fake_processes()
    published["targets"] = bench.verdicts(published)
    found = {t["target"]: t for t in published["targets"]}
    assert found["own process: demo step, graph mode vs micrograd"]["value"] == pytest.approx(50.0)
    assert found["own process: demo step, graph mode vs micrograd"]["met"] is True
    assert found["own process: demo step, graph mode vs PyTorch 0-d"]["met"] is None  # not measured
    assert found["own process: GPT step, unchanged user code vs the microgpt-design engine"]["met"] is False
    assert found["own process: demo step, compile (Python) vs micrograd"]["value"] == pytest.approx(500.0)
    text = bench.markdown(published)
    assert "Each contender in its own process" in text and "torch skipped" in text
    assert "| own process: demo step, compile (Python) vs micrograd | >= 300x | 500.0x | met |" in text


def test_speedup_is_none_without_a_peer():
    assert bench.speedup({}, "demo", "ours", "micrograd") is None
