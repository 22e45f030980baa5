"""gradcheck and gradgradcheck: passing on the whole op table and on random graphs, naming planted wrong ops."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import OPS, GradcheckError, Value, define_op, gradcheck, gradgradcheck
from autograd_core.testing import expressions_and_inputs, op_arguments

OP_NAMES = sorted(OPS)


def op_function(op, arg):
    return lambda *xs: ag.apply(op, *xs, arg=arg)  # one convention for every op, variadic ones included


# ------------------------------------------------------------------------------------------------ passing
@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_gradcheck_passes_on_every_op(name, data):
    op = OPS[name]
    inputs, arg = data.draw(op_arguments(op, bound=5.0, margin=0.05))
    assert gradcheck(op_function(op, arg), list(inputs)) is True


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_gradgradcheck_passes_on_every_op(name, data):
    op = OPS[name]
    inputs, arg = data.draw(op_arguments(op, bound=5.0, margin=0.05))
    assert gradgradcheck(op_function(op, arg), list(inputs)) is True


@given(data=st.data())
def test_gradcheck_and_gradgradcheck_pass_on_random_graphs(data):
    # built-ins plus a correct custom op; named explicitly so that an op leaked by another test cannot creep in
    define_op("smooth_cube", lambda x: x ** 3, [lambda x, out: 3 * x * x], replace=True)
    ops = [name for name in OP_NAMES if OPS[name].builtin] + ["smooth_cube"]
    expr, inputs = data.draw(expressions_and_inputs(n_vars=2, max_depth=3, max_ops=6, ops=ops))
    build = lambda *xs: expr.build(xs)
    assert gradcheck(build, list(inputs), rtol=1e-3, atol=1e-4), str(expr)
    assert gradgradcheck(build, list(inputs), rtol=1e-3, atol=1e-4), str(expr)


def test_the_callers_values_are_not_touched():
    x = Value(0.5, label="x")
    assert gradcheck(lambda v: v.sin() * v, [x])
    assert gradgradcheck(lambda v: v.sin() * v, [x])
    assert x.grad == 0.0 and x.is_leaf


def test_single_number_or_value_inputs():
    assert gradcheck(lambda v: v.exp(), 0.3)
    assert gradgradcheck(lambda v: v.exp(), Value(0.3, label="x"))


# ------------------------------------------------------------------------------------------------ planted faults
def plant_wrong_sin():
    # the derivative of sin is cos, not sin
    return define_op("my_sin", math.sin, [lambda x, out: ag.sin(x)])


def model(x, y):
    a = x * y
    a.label = "a"
    h3 = ag.apply("my_sin", a)
    h3.label = "h3"
    return h3.tanh() + y


def test_gradcheck_names_the_planted_wrong_op():
    plant_wrong_sin()
    with pytest.raises(GradcheckError) as info:
        gradcheck(model, [Value(0.5, label="x"), Value(1.0, label="y")])
    e = info.value
    message = str(e)
    assert "op 'my_sin' at node 'h3' (input 0.5): local derivative 0.4794 vs numeric 0.8776" in message
    assert "d output / d input 0 ('x')" in message and "d output / d input 1 ('y')" in message
    assert e.op == "my_sin" and e.node.label == "h3"
    assert (e.index, e.label) == (0, "x")
    dtanh = 1 - math.tanh(math.sin(0.5)) ** 2
    assert e.analytic == pytest.approx(dtanh * math.sin(0.5) * 1.0)
    assert e.numeric == pytest.approx(dtanh * math.cos(0.5) * 1.0, rel=1e-6)
    assert e.fault in message


def test_raise_exception_false_returns_false():
    plant_wrong_sin()
    assert gradcheck(model, [0.5, 1.0], raise_exception=False) is False


def test_the_first_wrong_op_in_topological_order_is_named_even_when_unlabelled():
    define_op("bad_square", lambda x: x * x, [lambda x, out: 3 * x])  # d/dx x^2 is 2x
    plant_wrong_sin()
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: ag.apply("my_sin", ag.apply("bad_square", x)), [0.3])
    assert info.value.op == "bad_square"
    assert "op 'bad_square' at unlabelled node #1 (input 0.3): local derivative 0.9 vs numeric 0.6" in str(info.value)


def test_a_wrong_derivative_with_respect_to_the_second_input_is_named():
    define_op("my_mul", lambda x, y: x * y, [lambda x, y, out: y, lambda x, y, out: y])  # d/dy is x
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: ag.apply("my_mul", x, y), [Value(2.0, label="x"), Value(3.0, label="y")])
    assert "op 'my_mul' at unlabelled node #2 (inputs 2, 3): local derivative w.r.t. input 1 3 vs numeric 2" \
        in str(info.value)
    assert info.value.index == 1 and info.value.label == "y"


def test_a_wrong_op_with_a_parameter_is_named_with_the_parameter():
    define_op("scaled", lambda x, k: k * x, [lambda x, out, k: 1.0], param="k")  # d/dx k x is k

    def fn(x):
        s = ag.apply("scaled", x, arg=2.5)
        s.label = "s"
        return s

    with pytest.raises(GradcheckError, match=r"op 'scaled' at node 's' \(input 1; k=2\.5\): local derivative 1 "):
        gradcheck(fn, [1.0])


def test_tolerances_follow_pytorch_semantics():
    # |analytic - numeric| <= atol + rtol |numeric|: an error of 5e-4 relative passes, 5e-3 does not
    define_op("near_sin", math.sin, [lambda x, out: (1 + 5e-4) * ag.cos(x)])
    define_op("far_sin", math.sin, [lambda x, out: (1 + 5e-3) * ag.cos(x)])
    assert gradcheck(lambda x: ag.apply("near_sin", x), [0.5])
    assert not gradcheck(lambda x: ag.apply("far_sin", x), [0.5], raise_exception=False)
    assert not gradcheck(lambda x: ag.apply("near_sin", x), [0.5], rtol=1e-4, raise_exception=False)


def test_rounding_at_large_operands_is_not_blamed_on_an_op():
    # 1e8 + 2 with eps 1e-6: the global difference quotient loses 3 digits to rounding; no op is at fault
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: ag.sum([x, y]), [1e8, 2.0])
    assert info.value.op is None and info.value.fault is None
    assert "too small for the size of its values" in str(info.value)
    assert gradcheck(lambda x, y: ag.sum([x, y]), [1e8, 2.0], eps=1.0)


# ------------------------------------------------------------------------------------------------ kinks
def test_a_kink_is_skipped_by_the_local_check_and_reported():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: (x * 1.0).relu(), [0.0])
    message = str(info.value)
    assert info.value.op is None
    assert "skipped: relu at unlabelled node #3 (input 0): within eps of a kink" in message
    assert "point away from kinks" in message


def test_a_kink_does_not_hide_or_fake_a_real_fault():
    plant_wrong_sin()
    # relu sits exactly at its kink (0), the wrong op elsewhere: the wrong op is named, relu is not blamed
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: (x - x).relu() + ag.apply("my_sin", x), [Value(0.5, label="x")])
    assert info.value.op == "my_sin"


@pytest.mark.parametrize("name", [n for n in OP_NAMES if OPS[n].kinks])
def test_ops_with_kinks_pass_away_from_them(name):
    op = OPS[name]
    arg = None if op.param is None else 0.5
    for x in (-0.7, 0.4):
        assert gradcheck(op_function(op, arg), [x])


# ------------------------------------------------------------------------------------------------ gradgradcheck
def plant_math_cos_sin():
    # first derivative right on floats, but math.cos turns a Value into a float: a constant in create-graph mode
    return define_op("math_sin", math.sin, [lambda x, out: math.cos(x)])


def test_a_derivative_written_with_math_passes_gradcheck_but_not_gradgradcheck():
    plant_math_cos_sin()
    fn = lambda x: ag.apply("math_sin", x) * x
    assert gradcheck(fn, [0.5])
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(fn, [Value(0.5, label="x")])
    e = info.value
    message = str(e)
    # create_graph itself now refuses the math.cos derivative (it changes with the input); the checker names the op
    assert e.op == "math_sin" and isinstance(e.__cause__, TypeError)
    assert "gradients(create_graph=True) failed (TypeError: math_sin: local derivative 0 returned the plain " \
           "number" in message
    assert "op 'math_sin' at unlabelled node #1 (input 0.5): derivative of its local derivative 0 vs numeric " \
           "-0.4794" in message
    assert "returned a plain number (0.8776) for Value inputs" in message
    assert "autograd_core.cos(x)" in message and "not math.*" in message
    assert gradgradcheck(fn, [0.5], raise_exception=False) is False


def test_a_derivative_that_differs_on_values_is_named():
    define_op("two_faced", math.sin,
              [lambda x, out: math.cos(x) if type(x) is float else 2 * ag.cos(x)])
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda x: ag.apply("two_faced", x), [0.5])
    assert "op 'two_faced' at unlabelled node #1 (input 0.5): local derivative is 1.755 on Values " \
           "(create_graph=True) but 0.8776 on floats" in str(info.value)


def test_a_derivative_that_fails_on_values_is_named():
    define_op("float_only", math.sin, [lambda x, out: math.cos(x) if type(x) is float else x.no_such_method()])
    assert gradcheck(lambda x: ag.apply("float_only", x), [0.5])
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(lambda x: ag.apply("float_only", x), [0.5])
    message = str(info.value)
    assert "gradients(create_graph=True) failed (AttributeError" in message
    assert "op 'float_only' at unlabelled node #1 (input 0.5): its local derivative fails on Value inputs" in message
    assert isinstance(info.value.__cause__, AttributeError)


def test_gradgradcheck_on_a_correct_custom_op():
    define_op("good_sin", math.sin, [lambda x, out: ag.cos(x)])
    assert gradgradcheck(lambda x, y: ag.apply("good_sin", x * y) * y, [0.5, -1.5])


# ------------------------------------------------------------------------------------------------ errors
def test_gradcheck_error_is_a_project_error_not_an_assertion_or_value_error():
    assert issubclass(GradcheckError, Exception)
    assert not issubclass(GradcheckError, AssertionError)
    assert not issubclass(GradcheckError, ValueError)


@pytest.mark.parametrize("check", [gradcheck, gradgradcheck])
def test_bad_calls(check):
    name = check.__name__
    with pytest.raises(TypeError, match=rf"{name}: f returned a list of 2 items.*f\(\*xs\)\[k\]"):
        check(lambda x: [x, x], [1.0])
    with pytest.raises(TypeError, match=rf"{name}: f returned the plain number"):
        check(lambda x: math.sin(x), [1.0])
    with pytest.raises(TypeError, match=rf"{name}: inputs\[1\] must be a real number or a Value, got str"):
        check(lambda x, y: x, [1.0, "2"])
    with pytest.raises(ValueError, match=rf"{name}: inputs\[0\] is nan"):
        check(lambda x: x, [math.nan])
    with pytest.raises(ValueError, match=rf"{name}: inputs is empty"):
        check(lambda: Value(1.0), [])
    with pytest.raises(ValueError, match=rf"{name}: eps must be a finite number > 0"):
        check(lambda x: x, [1.0], eps=0.0)
    with pytest.raises(ValueError, match=rf"{name}: rtol must be a finite number >= 0"):
        check(lambda x: x, [1.0], rtol=-1.0)
    with pytest.raises(ValueError, match=rf"{name}: f cannot be evaluated at input 0 \('x'\) - eps .*sqrt"):
        check(lambda x: x.sqrt(), [Value(1e-7, label="x")])
    with ag.no_grad():
        with pytest.raises(ValueError, match=rf"{name}: called inside autograd_core.no_grad"):
            check(lambda x: x * x, [1.0])
