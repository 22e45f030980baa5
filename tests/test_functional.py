"""The functional API: grad, value_and_grad, jacobian, hessian, and their errors on bad calls."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value, grad, gradients, hessian, jacobian, value_and_grad


def f(x, y):
    return x * y + 3 * x ** 2


reals = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


# ------------------------------------------------------------------------------------------------ the examples
def test_gradient_example():
    assert grad(f, argnums=(0, 1))(-2.0, -2.0) == pytest.approx((-14.0, -2.0))
    assert grad(f)(-2.0, -2.0) == pytest.approx(-14.0)
    assert grad(f, argnums=1)(-2, -2) == pytest.approx(-2.0)


def test_hessian_example():
    h = hessian(f)(-2.0, -2.0)
    assert len(h) == 2 and all(len(row) == 2 for row in h)
    assert h[0] == pytest.approx([6.0, 1.0])
    assert h[1] == pytest.approx([1.0, 0.0])
    assert hessian(f, argnums=0)(-2.0, -2.0) == pytest.approx(6.0)
    assert hessian(f, argnums=(1,))(-2.0, -2.0) == [pytest.approx([0.0])]


@given(reals)
def test_derivative_of_cos_squared(x):
    assert grad(lambda t: ag.cos(t) ** 2)(x) == pytest.approx(-2 * math.sin(x) * math.cos(x), abs=1e-12)


def test_value_and_grad_example():
    value, g = value_and_grad(f, argnums=(0, 1))(-2.0, -2.0)
    assert value == pytest.approx(16.0)
    assert g == pytest.approx((-14.0, -2.0))
    value, g = value_and_grad(f)(-2.0, -2.0)
    assert isinstance(value, float) and isinstance(g, float)


def test_results_are_plain_floats_and_tuples():
    g = grad(f, argnums=(0, 1))(1.0, 2.0)
    assert isinstance(g, tuple) and all(type(v) is float for v in g)
    assert type(grad(f)(1.0, 2.0)) is float
    h = hessian(f)(1.0, 2.0)
    assert all(type(v) is float for row in h for v in row)


def test_jacobian_example_and_argnums_shapes():
    fv = lambda x, y: [x * y, x + y, ag.sin(x) * y]
    j = jacobian(fv)(2.0, 3.0)
    assert j[0] == pytest.approx([3.0, 2.0])
    assert j[1] == pytest.approx([1.0, 1.0])
    assert j[2] == pytest.approx([3.0 * math.cos(2.0), math.sin(2.0)])
    assert jacobian(fv, argnums=1)(2.0, 3.0) == pytest.approx([2.0, 1.0, math.sin(2.0)])
    assert jacobian(fv, argnums=(1, 0))(2.0, 3.0)[0] == pytest.approx([2.0, 3.0])


# ------------------------------------------------------------------------------------------------ consistency
@given(reals, reals)
def test_grad_matches_central_differences(x, y):
    g = grad(lambda a, b: (a * b).tanh() + a.sin() * b, argnums=(0, 1))(x, y)
    h = 1e-6
    fn = lambda a, b: math.tanh(a * b) + math.sin(a) * b
    assert g[0] == pytest.approx((fn(x + h, y) - fn(x - h, y)) / (2 * h), abs=1e-6)
    assert g[1] == pytest.approx((fn(x, y + h) - fn(x, y - h)) / (2 * h), abs=1e-6)


@given(reals, reals)
def test_hessian_is_the_jacobian_of_the_gradient_and_symmetric(x, y):
    fn = lambda a, b: (a * b).sin() + a.exp() * b * b
    h = hessian(fn)(x, y)
    j = jacobian(lambda a, b: gradients(fn(a, b), [a, b], create_graph=True))(x, y)
    for i in range(2):
        assert h[i] == pytest.approx(j[i], rel=1e-12, abs=1e-12)
    assert h[0][1] == pytest.approx(h[1][0], rel=1e-12, abs=1e-12)


@given(reals)
def test_hessian_matches_the_closed_form(x):
    # f = x^3 sin(x): f'' = 6x sin x + 6x^2 cos x - x^3 sin x
    expected = 6 * x * math.sin(x) + 6 * x ** 2 * math.cos(x) - x ** 3 * math.sin(x)
    assert hessian(lambda t: t ** 3 * t.sin(), argnums=0)(x) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_hessian_matches_torch():
    torch = pytest.importorskip("torch")
    fn = lambda a, b, c: (a * b).tanh() + (b * c).exp() / (1 + a * a) + c.log() * a
    point = (0.3, -0.7, 1.4)
    ours = hessian(fn)(*point)

    def tfn(v):
        a, b, c = v[0], v[1], v[2]
        return torch.tanh(a * b) + torch.exp(b * c) / (1 + a * a) + torch.log(c) * a

    theirs = torch.autograd.functional.hessian(tfn, torch.tensor(point, dtype=torch.float64))
    for i in range(3):
        assert ours[i] == pytest.approx(theirs[i].tolist(), rel=1e-12, abs=1e-12)


def test_arguments_outside_argnums_and_keywords_pass_through_unchanged():
    def scaled(x, factor, *, offset):
        assert factor == [2.0] and offset == "o"  # passed as given, not turned into Values
        return x * factor[0]

    assert grad(scaled)(3.0, [2.0], offset="o") == pytest.approx(2.0)


def test_negative_argnums_count_from_the_end():
    assert grad(f, argnums=-1)(-2.0, -2.0) == pytest.approx(-2.0)
    assert grad(f, argnums=(-1, 0))(-2.0, -2.0) == pytest.approx((-2.0, -14.0))


def test_leaves_are_labelled_with_parameter_names():
    with pytest.raises(ValueError, match=r"log: .*Value 'width'"):
        grad(lambda width: width.log())(-1.0)


def test_a_function_of_constants_only_has_zero_gradient():
    assert grad(lambda x: Value(2.0) * 3.0)(1.0) == pytest.approx(0.0)


# ------------------------------------------------------------------------------------------------ bad calls
def test_grad_of_a_list_output_says_use_jacobian():
    with pytest.raises(TypeError, match=r"grad: f returned a list of 2 items.*jacobian"):
        grad(lambda x: [x, x * x])(1.0)
    with pytest.raises(TypeError, match=r"hessian: .*jacobian"):
        hessian(lambda x: (x, x))(1.0)
    with pytest.raises(TypeError, match=r"value_and_grad: .*jacobian"):
        value_and_grad(lambda x: [x])(1.0)


def test_a_plain_number_output_says_use_autograd_core_functions():
    with pytest.raises(TypeError, match=r"grad: f returned the plain number .*autograd_core.sin"):
        grad(lambda x: math.sin(x))(1.0)
    with pytest.raises(TypeError, match=r"hessian: f returned the plain number 3.0"):
        hessian(lambda x: 3.0)(1.0)
    with pytest.raises(TypeError, match=r"grad: f must return a Value, got str"):
        grad(lambda x: "x")(1.0)


def test_jacobian_of_a_scalar_or_a_bad_output_says_what_to_use():
    with pytest.raises(TypeError, match=r"jacobian: f returned a single Value; use autograd_core.grad"):
        jacobian(f)(1.0, 2.0)
    with pytest.raises(TypeError, match=r"jacobian: output 1 of f is a plain number .*Value\(c\)"):
        jacobian(lambda x: [x, 1.0])(1.0)
    with pytest.raises(TypeError, match=r"jacobian: f must return a list of Values"):
        jacobian(lambda x: {"a": x})(1.0)


def test_argnums_out_of_range():
    with pytest.raises(ValueError, match=r"grad: argnums 2 is out of range for a call with 2 .*0\.\.1"):
        grad(f, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match=r"hessian: argnums -3 is out of range"):
        hessian(f, argnums=(0, -3))(1.0, 2.0)
    with pytest.raises(ValueError, match=r"jacobian: argnums 5"):
        jacobian(lambda x: [x], argnums=5)(1.0)
    with pytest.raises(TypeError, match=r"without arguments"):
        hessian(lambda: Value(1.0))()


def test_bad_argnums_types_are_rejected_when_the_function_is_made():
    with pytest.raises(TypeError, match=r"grad: argnums must be an int or a tuple of ints, got float"):
        grad(f, argnums=1.5)
    with pytest.raises(TypeError, match=r"argnums must hold ints, got bool"):
        grad(f, argnums=(0, True))
    with pytest.raises(ValueError, match=r"argnums is empty"):
        value_and_grad(f, argnums=())
    with pytest.raises(ValueError, match=r"names the same argument twice"):
        grad(f, argnums=(0, -2))(1.0, 2.0)
    with pytest.raises(TypeError, match=r"grad: f must be a function"):
        grad(3.0)


def test_non_numeric_arguments_say_what_to_do_instead():
    with pytest.raises(TypeError, match=r"grad: argument 0 must be a real number .*got str"):
        grad(f)("1", 2.0)
    with pytest.raises(TypeError, match=r"argument 0 .*got list .*separate arguments"):
        grad(lambda xs: xs[0])([1.0, 2.0])
    with pytest.raises(TypeError, match=r"argument 1 must be a real number .*got bool"):
        hessian(f)(1.0, True)
    with pytest.raises(TypeError, match=r"argument 0 is a Value; .*autograd_core.gradients"):
        grad(f)(Value(1.0), 2.0)
