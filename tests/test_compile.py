"""autograd_core.compile: replays equal graph mode (bit for bit in Python, 1e-12 with numpy), guards, errors."""

from __future__ import annotations

import gc
import math
import warnings
import weakref

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from autograd_core.compile import MAX_TAPES, CompileError, compile
from autograd_core.testing import expressions_and_inputs

BIT_BACKENDS = ("python", "interpret", "numba")  # numba: the same float operations, compiled (importorskip'ped)
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # examples: the profile


def _needs(backend: str) -> None:
    """Skip a backend whose package is missing (numpy, numba: extras)."""
    if backend in ("numpy", "numba"):
        pytest.importorskip(backend)


def _graph_mode(f, args, params):
    """What compile must reproduce: f on Values, backward, the output's data and every parameter's grad."""
    for p in params:
        p.grad = 0.0
    out = f(*args)
    out.backward()
    return out.data, [p.grad for p in params]


def _compiled(step, args, params):
    for p in params:
        p.grad = 0.0
    return step(*args), [p.grad for p in params]


def _same_bits(a: float, b: float) -> bool:
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b) if a == a else b != b


def _close(a: float, b: float, rel: float = 1e-12) -> bool:
    return (a != a and b != b) or math.isclose(a, b, rel_tol=rel, abs_tol=rel)


def _split(expr, inputs):
    """Half of an expression's variables become parameters (closed over), the rest arguments."""
    k = max(1, len(inputs) // 2)
    params = [Value(x) for x in inputs[:k]]

    def f(xs):
        return expr.build(params + list(xs))

    return f, params, list(inputs[k:])


@pytest.mark.parametrize("backend", BIT_BACKENDS)
@SETTINGS
@given(pair=expressions_and_inputs(n_vars=3), new=st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3),
       scale=st.floats(0.5, 1.5))
def test_replay_with_new_inputs_is_bit_identical_to_graph_mode(backend, pair, new, scale):
    _needs(backend)
    expr, inputs = pair
    f, params, args = _split(expr, inputs)
    step = compile(f, backend=backend)
    first = _compiled(step, (args,), params)
    assert step.traces == 1
    # new arguments and moved parameters (an optimizer step), replayed on the tape traced from the old ones
    new_args = new[len(params):]
    for p in params:
        p.data *= scale
    try:
        want = _graph_mode(f, ([Value(x) for x in new_args],), params)
    except (ValueError, ZeroDivisionError, OverflowError):
        return  # outside some op's domain: graph mode raises, compile raises the same (tested below)
    got = _compiled(step, (new_args,), params)
    assert _same_bits(got[0], want[0])
    assert all(_same_bits(a, b) for a, b in zip(got[1], want[1]))
    assert first[0] == first[0] or first[0] != first[0]


@SETTINGS
@given(pair=expressions_and_inputs(n_vars=3), new=st.lists(st.floats(-2.0, 2.0), min_size=3, max_size=3))
def test_numpy_replay_is_within_1e_12(pair, new):
    pytest.importorskip("numpy")
    expr, inputs = pair
    f, params, args = _split(expr, inputs)
    step = compile(f, backend="numpy")
    _compiled(step, (args,), params)
    new_args = new[len(params):]
    try:
        want = _graph_mode(f, ([Value(x) for x in new_args],), params)
    except (ValueError, ZeroDivisionError, OverflowError):
        return
    got = _compiled(step, (new_args,), params)
    assert _close(got[0], want[0])
    assert all(_close(a, b) for a, b in zip(got[1], want[1]))


def _mlp_loss():
    import nn

    model = nn.MLP(2, [8, 1], activation="relu", seed=3)
    params = model.parameters()

    def loss(X):
        return ag.sum([(1.0 - model(x)).relu() for x in X]) * (1.0 / len(X)) + ag.sum([p * p for p in params]) * 1e-4

    return loss, params


@pytest.mark.parametrize("backend", ("python", "interpret", "numpy", "numba"))
def test_a_network_step_replays_graph_mode(backend):
    _needs(backend)
    loss, params = _mlp_loss()
    X1 = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]]
    X2 = [[-0.5, 1.0], [0.1, -0.2], [0.7, 0.7]]
    step = compile(loss, backend=backend)
    for X in (X1, X2, X1):
        want = _graph_mode(loss, ([[Value(a) for a in x] for x in X],), params)
        got = _compiled(step, (X,), params)
        if backend == "numpy":
            assert _close(got[0], want[0]) and all(_close(a, b) for a, b in zip(got[1], want[1]))
        else:
            assert got[0] == want[0] and got[1] == want[1]
    assert step.traces == 1 and step.replays == 2


@pytest.mark.parametrize("backend", ("python", "numba"))
def test_gradients_accumulate_like_leaves_and_none_counts_as_zero(backend):
    _needs(backend)
    w = Value(2.0)
    step = compile(lambda x: w * x, backend=backend)
    w.grad = None
    step(3.0)
    assert w.grad == 3.0
    step(4.0)
    assert w.grad == 7.0  # leaves accumulate until zeroed, as with backward


@pytest.mark.parametrize("backend", ("python", "numba"))
def test_branches_inside_ops_need_no_retrace(backend):
    _needs(backend)
    w = Value(1.0)
    step = compile(lambda x: (w * x).relu() + abs(w * x) + (w * x).step() + (w * x).leaky_relu(0.1), backend=backend)
    for x in (2.0, -2.0, 0.5, -0.5):
        w.grad = 0.0
        got = step(x)
        want = _graph_mode(lambda v: (w * v).relu() + abs(w * v) + (w * v).step() + (w * v).leaky_relu(0.1),
                           (Value(x),), [w])
        assert got == want[0] and w.grad == want[1][0]
    assert step.traces == 1


@pytest.mark.parametrize("backend", ("python", "numba"))
def test_a_comparison_is_a_guard_and_each_outcome_gets_its_tape(backend):
    _needs(backend)
    w = Value(0.5)

    def f(x):
        h = w * x
        return h * 3.0 if h > 0 else (h * h).exp()

    step = compile(f, backend=backend)
    for x in (1.0, -1.0, 2.0, -2.0, 3.0):
        got = _compiled(step, (x,), [w])
        assert got == _graph_mode(f, (Value(x),), [w])
    assert step.traces == 2 and step.replays == 3
    assert all(kind == "compare" for t in step.tapes() for kind, _ in t["guards"])


@pytest.mark.parametrize("backend", ("python", "numba"))
def test_a_data_read_is_a_guard_never_a_stale_constant(backend):
    _needs(backend)
    def softmax_loss(xs):
        m = max(v.data for v in xs)  # microgpt's shift: the tape must not keep the traced m
        return ag.log(ag.sum([(v - m).exp() for v in xs]))

    step = compile(softmax_loss, max_tapes=100, backend=backend)
    for xs in ([1.0, 2.0, 3.0], [1.0, 5.0, 3.0], [1.0, 2.0, 3.0]):
        assert step(xs) == softmax_loss([Value(x) for x in xs]).data
    assert step.traces == 2 and step.replays == 1  # the third call matches the first tape's guards


def test_float_of_a_value_is_a_guard():
    w = Value(1.0)
    step = compile(lambda x: w * math.exp(float(w * x)))
    assert step(1.0) == pytest.approx(math.e)
    assert step(2.0) == pytest.approx(math.exp(2.0))
    assert step.traces == 2


def test_too_many_retraces_fall_back_to_graph_mode_with_a_warning():
    def f(x):
        return x * x.data

    step = compile(f, max_tapes=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [step(float(k)) for k in range(1, 7)]
    assert results == [float(k * k) for k in range(1, 7)]
    assert any("graph mode" in str(w.message) for w in caught)
    assert step.traces == 3


@pytest.mark.parametrize("backend", ("python", "numba"))
def test_tapes_are_cached_per_argument_structure(backend):
    _needs(backend)
    w = Value(1.5)
    step = compile(lambda xs: ag.sum([w * x for x in xs]), backend=backend)
    assert step([1.0, 2.0]) == 4.5
    assert step([1.0, 2.0, 3.0]) == 9.0
    assert step([2.0, 2.0]) == 6.0
    assert step.traces == 2 and step.replays == 1


def test_side_effects_run_at_trace_time_only():
    calls = []
    w = Value(1.0)

    def f(x):
        calls.append(x)
        return w * x

    step = compile(f)
    step(1.0)
    step(2.0)
    assert len(calls) == 1


@pytest.mark.parametrize("backend", ("python", "numba"))
def test_domain_errors_are_graph_modes(backend):
    _needs(backend)
    w = Value(1.0)
    step = compile(lambda x: (w * x).log(), backend=backend)
    step(2.0)
    with pytest.raises(ValueError, match="log"):
        step(-2.0)
    assert step(3.0) == pytest.approx(math.log(3.0))


def test_custom_ops_without_templates_are_called():
    my_sq = ag.define_op("compile_test_sq", lambda x: x * x, [lambda x, out: 2.0 * x], replace=True)
    w = Value(3.0)
    step = compile(lambda x: ag.apply(my_sq, w * x))
    for x in (1.0, -2.0):
        got = _compiled(step, (x,), [w])
        assert got == _graph_mode(lambda v: ag.apply(my_sq, w * v), (Value(x),), [w])


@pytest.mark.parametrize("body, match", [
    (lambda w, x: _backward_inside(w * x), "higher order"),
    (lambda w, x: _write_data(w, w * x), "writes .data"),
    (lambda w, x: _read_grad(w, w * x), ".grad"),
])
def test_what_cannot_be_replayed_is_a_clear_error(body, match):
    w = Value(1.0)
    with pytest.raises(CompileError, match=match.replace(".", r"\.")):
        compile(lambda x: body(w, x))(2.0)
    assert type(Value.__dict__["data"]).__name__ == "member_descriptor"  # hooks removed after a failed trace


def _backward_inside(v):
    v.backward()
    return v


def _write_data(w, v):
    w.data = 5.0
    return v


def _read_grad(w, v):
    return v * w.grad


def test_argument_errors():
    w = Value(1.0)
    with pytest.raises(CompileError, match="computed by op"):
        compile(lambda v: v * w)(w * 2.0)  # gradients cannot flow through a compiled call: no higher order
    with pytest.raises(CompileError, match="must return a Value"):
        compile(lambda x: 1.0)(2.0)
    with pytest.raises(TypeError, match="callable"):
        compile(3)
    with pytest.raises(ValueError, match="backend"):
        compile(lambda x: x, backend="cuda")
    inner = compile(lambda x: w * x)
    with pytest.raises(CompileError, match="another compiled function"):
        compile(lambda x: w * inner(x))(1.0)


def test_constants_and_parameters_are_told_apart_and_nothing_keeps_the_graph():
    w = Value(2.0)
    step = compile(lambda x: (w * x + 1.0) * 3.0)
    step(1.0)
    tape = step.tapes()[0]
    assert tape["parameters"] == 1  # the lifted 1.0 and 3.0 are baked constants
    w.data = 5.0  # parameters are read at every replay
    assert step(1.0) == (5.0 * 1.0 + 1.0) * 3.0
    ref = weakref.ref(step)
    gc.disable()
    try:
        del step
        assert ref() is None  # freed by reference counting: no cycle through the generated code
    finally:
        gc.enable()
    assert MAX_TAPES >= 2


def test_static_arguments_reach_f_unchanged_and_select_a_tape():
    pytest.importorskip("nn")
    from nn.losses import hinge

    w = Value(0.5)
    step = compile(lambda x, t: hinge([w * x], t), static_argnums=(1,))
    for x, t in ((1.0, 1.0), (2.0, 1.0), (1.0, -1.0), (3.0, 1.0)):
        got = _compiled(step, (x, t), [w])
        assert got == _graph_mode(lambda v, tt: hinge([w * v], tt), (Value(x), t), [w])
    assert step.traces == 2 and step.replays == 2


def test_an_expression_too_deep_for_python_s_compiler_is_interpreted():
    ws = [Value(0.001 * i) for i in range(3000)]
    step = compile(lambda xs: ag.sum([w * x for w, x in zip(ws, xs)]))
    xs = [1.0] * 3000
    got = _compiled(step, (xs,), ws)
    got2 = _compiled(step, (xs,), ws)
    assert got == got2 == _graph_mode(lambda v: ag.sum([w * x for w, x in zip(ws, v)]), ([Value(1.0)] * 3000,), ws)
    assert step.replays == 1


@pytest.mark.parametrize("backend", ("python", "interpret", "numpy", "numba"))
def test_a_guard_on_a_value_outside_the_output_s_graph(backend):
    _needs(backend)
    w = Value(2.0)

    def f(x):
        side = (w * x).exp()  # not part of the output: its comparison still decides the branch
        return w * x if side > 10.0 else w * x * x

    step = compile(f, backend=backend)
    for x in (2.0, 0.5, 3.0, 0.25):
        got = _compiled(step, (x,), [w])
        want = _graph_mode(f, (Value(x),), [w])
        assert _close(got[0], want[0]) and all(_close(a, b) for a, b in zip(got[1], want[1]))
    assert step.traces == 2 and step.replays == 2


@pytest.mark.parametrize("backend", ("interpret", "numpy"))
def test_other_backends_call_custom_ops(backend):
    if backend == "numpy":
        pytest.importorskip("numpy")
    my_cube = ag.define_op("compile_test_cube", lambda x: x ** 3, [lambda x, out: 3.0 * x * x], replace=True)
    w = Value(1.5)
    step = compile(lambda xs: ag.sum([ag.apply(my_cube, w * x) for x in xs]), backend=backend)
    for xs in ([1.0, 2.0], [0.5, -1.0]):
        got = _compiled(step, (xs,), [w])
        want = _graph_mode(lambda v: ag.sum([ag.apply(my_cube, w * x) for x in v]), ([Value(x) for x in xs],), [w])
        assert _close(got[0], want[0]) and _close(got[1][0], want[1][0])


@pytest.mark.parametrize("backend", ("python", "interpret", "numpy", "numba"))
def test_aux_values_come_back_as_floats_without_a_guard(backend):
    _needs(backend)
    w = Value(0.5)

    def f(xs):
        scores = [w * x for x in xs]
        return ag.sum([(1.0 - s).relu() for s in scores]), scores  # scores: for an accuracy, read after the call

    step = compile(f, backend=backend, has_aux=True)
    for xs in ([1.0, -2.0], [3.0, 4.0], [-1.0, 0.5]):
        w.grad = 0.0
        loss, scores = step(xs)
        assert _close(loss, f([Value(x) for x in xs])[0].data)
        assert all(_close(s, 0.5 * x) for s, x in zip(scores, xs))
    assert step.traces == 1
    with pytest.raises(CompileError, match="has_aux"):
        compile(lambda x: w * x, has_aux=True)(1.0)


# --------------------------------------------------------------------------------------------- numba backend
def test_numba_refuses_an_op_without_templates_before_writing_any_gradient():
    pytest.importorskip("numba")
    my_cube = ag.define_op("compile_test_cube_nb", lambda x: x ** 3, [lambda x, out: 3.0 * x * x], replace=True)
    w = Value(1.5)
    w.grad = 0.25
    step = compile(lambda x: ag.apply(my_cube, w * x), backend="numba")
    with pytest.raises(CompileError, match=r"compile_test_cube_nb.*backend=\"python\"") as caught:
        step(2.0)
    assert "numba" in str(caught.value) and w.grad == 0.25 and step.traces == 0  # nothing changed by the refusal
    assert compile(lambda x: ag.apply(my_cube, w * x), backend="python")(2.0) == pytest.approx(27.0)


def test_numba_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "numba", None)  # an import of numba now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "autograd-core\[numba\]"'):
        compile(lambda x: x * 2.0, backend="numba")


def test_numba_replays_every_op_of_the_table_bit_for_bit():
    pytest.importorskip("numba")
    ops = [op for op in ag.OPS.values() if op.builtin and op.arity != -1]
    w = Value(0.7)

    def f(xs):
        h = [w * x for x in xs]
        terms = [ag.apply(op, *([abs(h[0]) + 0.5, abs(h[1]) + 0.25][:op.arity]), **({} if op.param is None else
                 {"arg": 0.5})) for op in ops]
        return ag.sum(terms, start=0.125) + ag.affine(w, [h[0], h[1]], [h[1], w])

    step = compile(f, backend="numba")
    for xs in ([0.5, 1.5], [1.25, -0.75], [-2.0, 0.3]):
        got = _compiled(step, (xs,), [w])
        want = _graph_mode(f, ([Value(x) for x in xs],), [w])
        assert _same_bits(got[0], want[0]) and _same_bits(got[1][0], want[1][0])
    assert step.traces == 1 and step.tapes()[0]["backend"] == "numba"


def test_numba_non_finite_values_fall_back_to_python_and_errors_are_graph_modes():
    pytest.importorskip("numba")
    w = Value(1.0)
    step = compile(lambda x: (w * x).sqrt() + (w * x).exp(), backend="numba")
    _compiled(step, (4.0,), [w])
    got = _compiled(step, (0.0,), [w])  # d sqrt at 0 is inf (times x = 0: nan): graph mode's, via the Python replay
    want = _graph_mode(lambda v: (w * v).sqrt() + (w * v).exp(), (Value(0.0),), [w])
    assert _same_bits(got[0], want[0]) and _same_bits(got[1][0], want[1][0]) and got[1][0] != got[1][0]
    with pytest.raises(OverflowError):
        step(1000.0)  # exp overflows: numba gives inf, the Python replay raises, graph mode explains
    with pytest.raises(ValueError, match="sqrt"):
        step(-1.0)
    assert step(1.0) == pytest.approx(1.0 + math.e)


def test_numba_frees_its_tapes_by_reference_counting():
    pytest.importorskip("numba")
    w = Value(2.0)
    step = compile(lambda x: (w * x + 1.0) * 3.0, backend="numba")
    assert step(1.0) == 9.0 and step(2.0) == 15.0 and step.tapes()[0]["parameters"] == 1
    ref = weakref.ref(step)
    gc.disable()
    try:
        del step
        assert ref() is None  # no cycle through the kernel's closures or the lazy Python fallback
    finally:
        gc.enable()


def _sum_of_squares(*a):
    # a variadic forward outside the table: start + x_0^2 + x_1^2 + ... left to right (the arg last, as the table's)
    s = a[-1]
    for k in range(len(a) - 1):
        s += a[k] * a[k]
    return s


def test_numba_runs_ops_outside_the_table_by_their_own_forms():
    pytest.importorskip("numba")
    from autograd_core.ops import Op, literal

    # a template that computes with its arg when it is generated: each arg value is a kind of its own
    scaled = Op("compile_test_scaled", 1, lambda x, c: x * (2.0 * c), (lambda x, out, c: 2.0 * c,), param="c",
                py=(lambda xs, c: f"{xs[0]} * {literal(2.0 * c)}", lambda xs, out, c: (literal(2.0 * c),)))
    # a variadic op without a numba form of its derivatives: its forward compiled, its derivs in object mode
    squares = Op("compile_test_squares", -1, _sum_of_squares, (lambda xs, out, a: tuple(2.0 * x for x in xs),),
                 param="start")
    w, b = Value(0.75), Value(-0.5)

    def f(xs):
        hs = [w * x + b for x in xs]
        return ag.apply(squares, *hs, ag.apply(scaled, hs[0], arg=1.5), arg=0.25) + ag.apply(scaled, w, arg=-3.0)

    step = compile(f, backend="numba")
    for xs in ([1.0, 2.0, -1.0], [0.5, -0.25, 3.0], [2.0, 2.0, 2.0]):
        got = _compiled(step, (xs,), [w, b])
        want = _graph_mode(f, ([Value(x) for x in xs],), [w, b])
        assert _same_bits(got[0], want[0]) and all(_same_bits(a, c) for a, c in zip(got[1], want[1]))
    assert step.traces == 1
