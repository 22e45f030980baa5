"""Custom primitive ops (define_op): backward, gradients(create_graph=True), the checkers, anomaly mode, errors."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import OPS, Value, define_op, gradcheck, gradgradcheck, gradients, hessian

reals = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


def define_my_sin():
    # replace=True: hypothesis runs a test body many times within one fixture scope
    return define_op("my_sin", math.sin, [lambda x, out: ag.cos(x)], doc="sin x; derivative cos x", replace=True)


def define_hypot():
    # sqrt(x^2 + y^2); d/dx = x / out, d/dy = y / out (reusing the output, like the built-in tanh)
    return define_op("hypot", math.hypot, [lambda x, y, out: x / out, lambda x, y, out: y / out],
                     domains=(ag.Domain(0.0, math.inf), ag.Domain(0.0, math.inf)), replace=True)


def test_the_restore_fixture_leaves_only_builtins_between_tests():
    assert all(op.builtin for op in OPS.values())
    define_my_sin()
    assert "my_sin" in OPS and not OPS["my_sin"].builtin


@given(reals)
def test_unary_custom_op_backward(x):
    define_my_sin()
    v = Value(x, label="x")
    y = ag.apply("my_sin", v) * v
    assert y.op == "mul" and y.parents[0].op == "my_sin" and y.parents[0].op_entry is OPS["my_sin"]
    y.backward()
    assert v.grad == pytest.approx(math.cos(x) * x + math.sin(x), abs=1e-12)


@given(reals)
def test_unary_custom_op_second_derivative_by_create_graph(x):
    define_my_sin()
    v = Value(x, label="x")
    g = gradients(ag.apply("my_sin", v), v, create_graph=True)
    assert isinstance(g, Value) and g.data == pytest.approx(math.cos(x), abs=1e-12)
    assert gradients(g, v) == pytest.approx(-math.sin(x), abs=1e-12)
    assert hessian(lambda t: ag.apply("my_sin", t), argnums=0)(x) == pytest.approx(-math.sin(x), abs=1e-12)


@given(st.floats(0.2, 3.0), st.floats(0.2, 3.0))
def test_binary_custom_op_backward_gradients_and_hessian(x, y):
    define_hypot()
    r = math.hypot(x, y)
    a, b = Value(x, label="a"), Value(y, label="b")
    out = ag.apply("hypot", a, b)
    out.backward()
    assert (a.grad, b.grad) == pytest.approx((x / r, y / r), rel=1e-12)
    h = hessian(lambda p, q: ag.apply("hypot", p, q))(x, y)
    expected = [[y * y / r ** 3, -x * y / r ** 3], [-x * y / r ** 3, x * x / r ** 3]]
    for row, exp_row in zip(h, expected):
        assert row == pytest.approx(exp_row, rel=1e-9, abs=1e-12)
    assert gradcheck(lambda p, q: ag.apply("hypot", p, q), [x, y])
    assert gradgradcheck(lambda p, q: ag.apply("hypot", p, q), [x, y])


def test_custom_op_with_a_parameter():
    op = define_op("scaled_sin", lambda x, k: math.sin(k * x), [lambda x, out, k: k * ag.cos(k * x)], param="k")
    assert op.param == "k"
    x = Value(0.4, label="x")
    y = ag.apply("scaled_sin", x, arg=3.0)
    assert y.arg == 3.0
    y.backward()
    assert x.grad == pytest.approx(3.0 * math.cos(1.2))
    assert gradcheck(lambda v: ag.apply("scaled_sin", v, arg=3.0), [0.4])
    assert gradgradcheck(lambda v: ag.apply("scaled_sin", v, arg=3.0), [0.4])
    with pytest.raises(TypeError, match=r"apply: op 'scaled_sin' needs its parameter: arg=<k>"):
        ag.apply("scaled_sin", x)


def test_custom_op_on_plain_numbers_is_a_float():
    define_my_sin()
    assert ag.apply("my_sin", 0.5) == pytest.approx(math.sin(0.5))


def test_custom_op_in_a_bigger_graph_with_shared_nodes():
    define_my_sin()
    define_hypot()
    x, y = Value(0.6, label="x"), Value(1.1, label="y")
    s = ag.apply("my_sin", x * y)
    out = ag.apply("hypot", s, y) * s
    out.backward()
    grads = gradients(out, [x, y])
    assert (x.grad, y.grad) == pytest.approx(tuple(grads), rel=1e-12)
    assert gradcheck(lambda a, b: ag.apply("hypot", ag.apply("my_sin", a * b), b) * ag.apply("my_sin", a * b),
                     [x, y])


def test_custom_op_with_kinks_is_skipped_at_the_kink():
    define_op("my_relu", lambda x: x if x > 0 else 0.0, [lambda x, out: 1.0 if x > 0 else 0.0], smooth=False,
              kinks=(0.0,))
    assert OPS["my_relu"].kinks == (0.0,)
    assert gradcheck(lambda x: ag.apply("my_relu", x), [0.5])
    assert gradcheck(lambda x: ag.apply("my_relu", x), [-0.5])
    with pytest.raises(ag.GradcheckError, match=r"skipped: my_relu at unlabelled node #1 \(input 0\)"):
        gradcheck(lambda x: ag.apply("my_relu", x), [0.0])


def test_a_custom_op_producing_nan_is_caught_by_anomaly_mode():
    define_op("bad_log", lambda x: math.nan if x <= 0 else math.log(x), [lambda x, out: 1.0 / x])
    with ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError, match=r"bad_log produced nan .*-1.0 \(Value 'x'\).*undefined"):
            ag.apply("bad_log", Value(-1.0, label="x"))
    assert math.isnan(ag.apply("bad_log", Value(-1.0)).data)  # outside the context: no check


def test_replace_redefines_a_custom_op():
    define_my_sin()
    with pytest.raises(ValueError, match=r"'my_sin' is already defined; pass replace=True"):
        define_op("my_sin", math.sin, [lambda x, out: ag.cos(x)])
    define_op("my_sin", math.sin, [lambda x, out: ag.cos(x)], replace=True, doc="again")
    assert OPS["my_sin"].doc == "again"


def test_define_op_errors():
    with pytest.raises(ValueError, match=r"'sin' is a built-in op"):
        define_op("sin", math.sin, [lambda x, out: ag.cos(x)], replace=True)
    with pytest.raises(ValueError, match=r"name must be an identifier"):
        define_op("my sin", math.sin, [lambda x, out: ag.cos(x)])
    with pytest.raises(ValueError, match=r"must take 1 or 2 inputs .*got arity 3"):
        define_op("f3", lambda x, y, z: x, [lambda *a: 1.0] * 3)
    with pytest.raises(ValueError, match=r"got arity -1; the only variadic op is the built-in sum"):
        define_op("my_sum", lambda xs: sum(xs), [lambda i, xs, out: 1.0], arity=-1)
    with pytest.raises(ValueError, match=r"has arity 2 and needs 2 local derivative"):
        define_op("half", lambda x, y: x, [lambda x, y, out: 1.0], arity=2)
    with pytest.raises(TypeError, match=r"local derivatives of op 'nd' must be callable"):
        define_op("nd", math.sin, [1.0])
    with pytest.raises(TypeError, match=r"forward of op 'nf' must be callable"):
        define_op("nf", 3.0, [lambda x, out: 1.0])
    assert not {"f3", "my_sum", "half", "nd", "nf"} & set(OPS)
