"""Regression tests for the foundation issue's faults: per-thread switches, NaN through piecewise ops, a failed
backward that leaves every .grad as it was, errors that name the real op and the true reason, no reference cycle in
the stepper, one conversion of user numbers, and a walk shared by backward, anomaly mode, the stepper and gradients.
"""

import gc
import math
import threading
import weakref
from collections import deque
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
import nn
from autograd_core import AnomalyError, Value
from autograd_core.files import atomic_write
from autograd_core.testing import expressions_and_inputs


def grads(values) -> list:
    return [v.grad for v in values]


# ------------------------------------------------------------------------------------ fault 1: switches per thread
def test_overlapping_no_grad_blocks_in_two_threads_leave_recording_on():
    # the reproduced fault: A enters, B enters, A leaves, B leaves; a process-wide flag ended up off for good
    a_in, b_in, a_out = threading.Barrier(2), threading.Barrier(2), threading.Event()
    seen = {}

    def a():
        with ag.no_grad():
            a_in.wait()
            b_in.wait()
        seen["a after"] = (Value(1.0) * 2.0).parents != ()
        a_out.set()

    def b():
        a_in.wait()
        with ag.no_grad():
            b_in.wait()
            a_out.wait()
            seen["b inside"] = (Value(1.0) * 2.0).parents
        seen["b after"] = ag.is_grad_enabled()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"a after": True, "b inside": (), "b after": True}
    assert ag.is_grad_enabled() and (Value(1.0) * 2.0).parents != ()


def test_a_block_in_one_thread_never_changes_another_threads_state():
    inside, done = threading.Event(), threading.Event()

    def worker():
        with ag.no_grad(), ag.scope("worker"), ag.detect_anomaly():
            inside.set()
            done.wait(10)

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(10)
    try:
        x = Value(2.0)
        y = x * 3.0
        assert ag.is_grad_enabled() and not ag.anomaly_enabled() and ag.current_scope() is None
        assert y.parents == (x, y.parents[1]) and y.scope is None
        assert math.isinf((Value(1e200) * Value(1e200)).data)  # no anomaly mode here
        with ag.scope("main"):
            assert (x * 2.0).scope == "main"
    finally:
        done.set()
        t.join(10)


def test_every_block_restores_exactly_what_it_found():
    with ag.scope("a"):
        with ag.no_grad():
            with ag.scope("b"):
                assert ag.current_scope() == "a/b" and not ag.is_grad_enabled()
            assert ag.current_scope() == "a"
        assert ag.is_grad_enabled()
        with pytest.raises(RuntimeError), ag.detect_anomaly():
            raise RuntimeError("a failing block")
        assert not ag.anomaly_enabled() and ag.current_scope() == "a"
    assert ag.current_scope() is None


@settings(max_examples=15, deadline=None)
@given(expressions_and_inputs(n_vars=2, max_depth=4))
def test_eight_threads_predicting_while_the_main_thread_backpropagates(pair):
    expr, inputs = pair
    leaves = [Value(x) for x in inputs]
    want = ag.gradients(expr.build(leaves), leaves)  # before any thread runs
    model = nn.MLP(2, [4, 1], seed=0)
    expected_prediction = model.predict([0.25, -0.5])
    stop = threading.Event()
    bad = []

    def predictor():
        while not stop.is_set():
            if model.predict([0.25, -0.5]) != expected_prediction:
                bad.append("prediction")

    threads = [threading.Thread(target=predictor) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        for _ in range(5):
            leaves = [Value(x) for x in inputs]
            y = expr.build(leaves)
            y.backward()
            for got, w in zip(grads(leaves), want):
                assert math.isclose(got, w, rel_tol=1e-12, abs_tol=1e-12), (got, w)
            assert ag.is_grad_enabled()
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert not bad
    assert ag.is_grad_enabled() and (Value(1.0) * 2.0).parents != ()


# ------------------------------------------------------------------------------------ fault 2: NaN is never lost
def test_nan_propagates_through_relu_networks_and_anomaly_mode_flags_it():
    assert math.isnan(ag.relu(math.nan)) and math.isnan(Value(math.nan).relu().data)
    with ag.detect_anomaly(), pytest.raises(AnomalyError, match="relu produced nan .*an operand is already nan"):
        Value(math.nan, label="w").relu()
    model = nn.MLP(2, [3, 1], activation="relu", seed=1)
    model.parameters()[0].data = math.nan
    out = model([1.0, 1.0])  # one output: the Value itself, as micrograd's MLP returns
    assert math.isnan(out.data)


# ------------------------------------------------------------------------------------ fault 3: failed backward
def negative_base_graph():
    x, y, w = Value(-3.0, label="x"), Value(2.0, label="y"), Value(0.5, label="w")
    loss = w * x + x ** y  # vpow at a negative base: d/dy is undefined, after w and x received gradients
    return loss, [x, y, w]


@pytest.mark.parametrize("mode", ["plain", "anomaly", "stepper"])
def test_a_backward_that_fails_leaves_every_grad_as_it_was(mode):
    loss, leaves = negative_base_graph()
    order = ag.topological_order(loss)
    for k, v in enumerate(order):
        v.grad = 0.25 * k  # earlier passes left these
    before = grads(order)
    with pytest.raises(ValueError, match="vpow"):
        if mode == "plain":
            loss.backward()
        elif mode == "anomaly":
            with ag.detect_anomaly():
                loss.backward()
        else:
            for _ in ag.backward_steps(loss):
                pass
    assert grads(order) == before
    # the next, valid backward is right, not polluted by the failed one
    x, y, w = leaves
    ok = w * x
    ag.zero_grad(leaves)
    ok.backward()
    assert (w.grad, x.grad) == (-3.0, 0.5)


# ------------------------------------------------------------------------------------ fault 4: the real op, true reason
def test_power_derivative_errors_name_the_real_op_and_reason():
    x, y = Value(-3.0, label="x"), Value(2.0, label="y")
    with pytest.raises(ValueError, match=r"^vpow: .*negative base -3.*keep the base positive"):
        (x ** y).backward()
    z = Value(2.0, label="z")
    with pytest.raises(ValueError, match=r"^rpow: .*negative base -3.*the exponent is the variable here, so use a "
                                         r"positive constant base"):
        ((-3.0) ** z).backward()
    zero, e = Value(0.0), Value(0.0)
    with pytest.raises(ZeroDivisionError, match=r"^vpow: .*undefined at base 0 and exponent 0") as info:
        (zero ** e).backward()
    assert "negative" not in str(info.value)
    with pytest.raises(ZeroDivisionError, match=r"^rpow: .*undefined at base 0 and exponent 0"):
        (0.0 ** Value(0.0)).backward()


# ------------------------------------------------------------------------------------ fault 5: no cycle in the stepper
@pytest.mark.parametrize("use", ["steps", "history", "explain", "page"])
def test_stepped_graphs_are_freed_by_reference_counting_alone(use):
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        refs = []
        for _ in range(3 if use == "page" else 20):  # a page runs dot once per step: keep it small
            xs = [Value(0.1 * i) for i in range(3 if use == "page" else 30)]
            h = ag.sum([(x * 0.5).tanh() for x in xs], start=0.1)
            if use == "steps":
                steps = list(ag.backward_steps(h))
                steps[-1].grads_so_far()
            elif use == "history":
                last = deque(ag.backward_steps(h), maxlen=1)[0]  # every step run, only the last kept
                last.history()
                del last
            elif use == "explain":
                ag.explain(h)
            else:
                ag.html.step_page_html(h, max_steps=500)
            refs += [weakref.ref(v) for v in ag.topological_order(h)]
            del xs, h
            if use == "steps":
                del steps
        assert sum(r() is not None for r in refs) == 0
    finally:
        if was:
            gc.enable()


# ------------------------------------------------------------------------------------ fault 6: one conversion
HUGE = 2 ** 1100


@pytest.mark.parametrize(("call", "where"), [
    (lambda: Value(HUGE), "Value"),
    (lambda: Value(1.0) + HUGE, "add"),
    (lambda: HUGE * Value(1.0), "mul"),
    (lambda: Value(2.0) ** HUGE, "pow"),
    (lambda: ag.grad(lambda x: x * x)(HUGE), "grad"),
    (lambda: ag.apply("tanh", HUGE), "tanh"),
    (lambda: ag.sum([Value(1.0)], start=HUGE), "sum"),
    (lambda: Value(1.0).backward(HUGE), "backward"),
    (lambda: ag.gradients(Value(1.0) * 2.0, [], grad_output=HUGE), "gradients"),
])
def test_an_int_beyond_float_range_is_an_error_naming_the_function(call, where):
    with pytest.raises(OverflowError, match=rf"^{where}.*an int of 1101 bits is beyond the float range"):
        call()


def test_gradients_checks_its_inputs_and_accepts_every_real_seed():
    x = Value(3.0)
    y = x * x
    with pytest.raises(TypeError, match=r"gradients: inputs must be a Value or a list of Values, got float 3.0"):
        ag.gradients(y, 3.0)
    assert ag.gradients(y, x, grad_output=Fraction(1, 2)) == 3.0
    np = pytest.importorskip("numpy")
    assert ag.gradients(y, x, grad_output=np.float32(2.0)) == 12.0


# ------------------------------------------------------------------------------------ one walk
@settings(max_examples=40, deadline=None)
@given(expressions_and_inputs(n_vars=3, max_depth=5), st.sampled_from([1.0, -0.5]))
def test_backward_anomaly_mode_stepper_and_gradients_agree_bit_for_bit(pair, seed):
    expr, inputs = pair
    results = []
    for mode in ("plain", "anomaly", "stepper", "gradients"):
        leaves = [Value(x) for x in inputs]
        for v in leaves:
            v.grad = 0.125  # leaves accumulate: every mode must add to what is there in the same order
        y = expr.build(leaves)
        if mode == "plain":
            y.backward(seed)
        elif mode == "anomaly":
            with ag.detect_anomaly():
                y.backward(seed)
        elif mode == "stepper":
            for _ in ag.backward_steps(y, seed):
                pass
        else:
            for v, g in zip(leaves, ag.gradients(y, leaves, grad_output=seed)):
                v.grad = 0.125 + g if v.parents == () and v is not y else g
        results.append([math.copysign(1.0, g) * abs(g) for g in grads(leaves)])
    plain = results[0]
    assert results[1] == plain and results[2] == plain
    for a, b in zip(results[3], plain):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


# ------------------------------------------------------------------------------------ fault 10: what a kill leaves
def test_a_save_killed_outright_leaves_the_target_intact_and_at_most_one_hidden_temporary_file(tmp_path,
                                                                                            monkeypatch):
    # the documented behaviour: kill -9 during the write cannot clean up, but the target is never half written
    import os
    import signal
    import subprocess
    import sys

    target = tmp_path / "model.json"
    target.write_text("old")
    code = ("import os, signal, sys; from autograd_core.files import atomic_write\n"
            "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"
            "atomic_write(sys.argv[1], 'new' * 1000)\n")
    done = subprocess.run([sys.executable, "-c", code, str(target)], timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert target.read_text() == "old"
    left = [p.name for p in tmp_path.iterdir() if p != target]
    assert len(left) == 1 and left[0].startswith(".model.json.") and left[0].endswith(".tmp")
    # an exception half way, by contrast, leaves nothing behind
    os.unlink(tmp_path / left[0])

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new")
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"] and target.read_text() == "old"


# ------------------------------------------------------------------------------------ PyTorch's set_to_none
@pytest.mark.parametrize("mode", ["plain", "anomaly", "stepper"])
def test_a_leaf_grad_cleared_to_none_accumulates_from_zero(mode):
    w, x = Value(2.0), Value(3.0)
    y = w * x
    y.backward()
    w.grad = None
    if mode == "plain":
        y.backward()
    elif mode == "anomaly":
        with ag.detect_anomaly():
            y.backward()
    else:
        for _ in ag.backward_steps(y):
            pass
    assert w.grad == 3.0 and x.grad == 4.0
