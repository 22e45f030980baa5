"""Second and higher derivatives of every op in the table, by double backward (gradients(create_graph=True)).

Each op's Hessian is checked against sympy's exact second derivatives and against central differences of the
analytic first derivative; third derivatives of the unary ops against sympy as well.
"""

import functools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import OPS, Value, gradients
from autograd_core.testing import op_arguments

OP_NAMES = sorted(OPS)
SUM = OPS["sum"]


def build(op, inputs, arg):
    """The op applied to fresh leaves: (leaves, output Value)."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    if op is SUM:
        return leaves, ag.sum(leaves, start=arg)
    return leaves, ag.apply(op, *leaves, arg=arg)


def hessian_of(op, inputs, arg):
    leaves, out = build(op, inputs, arg)
    first = gradients(out, leaves, create_graph=True)
    return [gradients(g, leaves) for g in first]


def first_derivative(op, inputs, arg):
    leaves, out = build(op, inputs, arg)
    return gradients(out, leaves)


_SYMPY_FUNCS = [{"DiracDelta": lambda *a: 0.0, "sign": lambda v: float((v > 0) - (v < 0)),
                 "Heaviside": lambda v, h=0.5: 1.0 if v > 0 else (0.0 if v < 0 else h)}, "math"]


@functools.cache
def sympy_derivatives(name: str, n: int, order: int):
    """Callable (inputs..., arg) -> nested list of exact derivatives of the given order, from the op's sympy form."""
    sympy = pytest.importorskip("sympy")
    op = OPS[name]
    xs = sympy.symbols(f"x0:{n}", real=True)
    p = sympy.Symbol("p", real=True)
    expr = p + sympy.Add(*xs) if op is SUM else op.sympy(*xs, p)
    if order == 2:
        table = [[sympy.diff(expr, a, b) for b in xs] for a in xs]
    else:
        table = [sympy.diff(expr, xs[0], order)]
    return sympy.lambdify((*xs, p), table, modules=_SYMPY_FUNCS)


def close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-7) -> bool:
    return abs(a - b) <= abs_ + rel * abs(b)


def test_every_builtin_op_but_sum_has_a_sympy_form():
    # otherwise the sympy test below would silently leave an op out
    missing = [name for name, op in OPS.items() if op.builtin and op.sympy is None and op is not SUM]
    assert missing == []


@pytest.mark.parametrize("name", [n for n in OP_NAMES if OPS[n].sympy is not None or OPS[n] is SUM])
@given(data=st.data())
def test_second_derivatives_match_sympy(name, data):
    op = OPS[name]
    inputs, arg = data.draw(op_arguments(op, bound=5.0, margin=0.05))
    hess = hessian_of(op, inputs, arg)
    exact = sympy_derivatives(name, len(inputs), 2)(*inputs, 0.0 if arg is None else arg)
    for i, row in enumerate(hess):
        for j, h in enumerate(row):
            assert close(h, float(exact[i][j])), (name, inputs, arg, i, j, h, exact[i][j])


@pytest.mark.parametrize("name", OP_NAMES)
@given(data=st.data())
def test_second_derivatives_match_central_differences_of_the_first(name, data):
    op = OPS[name]
    inputs, arg = data.draw(op_arguments(op, bound=5.0, margin=0.05))
    hess = hessian_of(op, inputs, arg)
    h = 1e-5
    for j in range(len(inputs)):
        plus, minus = list(inputs), list(inputs)
        plus[j] += h
        minus[j] -= h
        g_plus, g_minus = first_derivative(op, plus, arg), first_derivative(op, minus, arg)
        for i in range(len(inputs)):
            numeric = (g_plus[i] - g_minus[i]) / (2 * h)
            assert close(hess[i][j], numeric, rel=1e-4, abs_=1e-5), (name, inputs, arg, i, j, hess[i][j], numeric)


@pytest.mark.parametrize("name", [n for n in OP_NAMES if OPS[n].arity == 1 and OPS[n].sympy is not None])
@given(data=st.data())
def test_third_derivatives_of_unary_ops_match_sympy(name, data):
    op = OPS[name]
    (x,), arg = data.draw(op_arguments(op, bound=3.0, margin=0.1))
    leaf = Value(x, label="x")
    d = ag.apply(op, leaf, arg=arg)
    for _ in range(2):
        d = gradients(d, leaf, create_graph=True)
    third = gradients(d, leaf)
    exact = float(sympy_derivatives(name, 1, 3)(x, 0.0 if arg is None else arg)[0])
    assert close(third, exact, rel=1e-6, abs_=1e-6), (name, x, arg, third, exact)


def test_create_graph_gradients_are_values_and_leave_grad_alone():
    x, y = Value(-2.0, label="x"), Value(-2.0, label="y")
    f = x * y + 3 * x ** 2
    gx, gy = gradients(f, [x, y], create_graph=True)
    assert isinstance(gx, Value) and isinstance(gy, Value)
    assert (gx.data, gy.data) == pytest.approx((-14.0, -2.0))
    assert gradients(gx, [x, y]) == pytest.approx([6.0, 1.0])
    assert gradients(gy, [x, y]) == pytest.approx([1.0, 0.0])
    assert x.grad == 0.0 and y.grad == 0.0 and f.grad == 0.0


def test_backward_through_a_gradient_gives_the_second_derivative():
    x = Value(0.7, label="x")
    gx = gradients(x.sin() * x, x, create_graph=True)  # cos(x) x + sin(x)
    gx.backward()
    assert math.isclose(x.grad, 2 * math.cos(0.7) - 0.7 * math.sin(0.7), rel_tol=1e-12)


def test_create_graph_of_an_input_the_output_does_not_use_is_a_zero_value():
    x, y = Value(1.0), Value(2.0)
    g = gradients(x * 3.0, y, create_graph=True)
    assert isinstance(g, Value) and g.data == pytest.approx(0.0)
    assert gradients(g, y) == pytest.approx(0.0)


def test_fourth_derivative_of_a_composition_matches_the_formula():
    # d^4/dx^4 e^(2x) = 16 e^(2x)
    x = Value(0.3, label="x")
    d = (2 * x).exp()
    for _ in range(3):
        d = gradients(d, x, create_graph=True)
    assert math.isclose(gradients(d, x), 16 * math.exp(0.6), rel_tol=1e-12)


@pytest.mark.parametrize("c, expected", [(2.0, 0.0), (3.0, 6.0), (1.0, 0.0)])
def test_higher_derivatives_of_integer_powers_at_zero_are_finite(c, expected):
    # x ** 0 appears as a derivative of x ** 1: its own derivative must be exactly 0 at x = 0, not 0 * inf
    x = Value(0.0, label="x")
    d = x ** c
    for _ in range(2):
        d = gradients(d, x, create_graph=True)
    result = gradients(d, x)
    assert math.isfinite(result) and result == pytest.approx(expected)


def test_second_derivative_of_a_shared_subexpression():
    # f = (x y)^2 + x y: shared node used twice; H = [[2 y^2, 4 x y + 1], [4 x y + 1, 2 x^2]]
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    p = x * y
    f = p * p + p
    first = gradients(f, [x, y], create_graph=True)
    hess = [gradients(g, [x, y]) for g in first]
    expected = [[2 * 0.25, 4 * 1.5 * -0.5 + 1], [4 * 1.5 * -0.5 + 1, 2 * 2.25]]
    for row, exp_row in zip(hess, expected):
        for h, e in zip(row, exp_row):
            assert math.isclose(h, e, rel_tol=1e-12, abs_tol=1e-12)


@pytest.mark.parametrize("make", [lambda x: x.sqrt(), lambda x: x ** 0.5], ids=["sqrt", "pow"])
def test_create_graph_at_an_infinite_derivative_is_a_clear_error(make):
    # plain mode gives inf there; a differentiable Value of an infinite derivative cannot be built
    x = Value(0.0, label="x")
    y = make(x)
    y.label = "y"
    assert gradients(y, x) == math.inf
    with pytest.raises(ZeroDivisionError, match=r"gradients\(create_graph=True\): the local derivative of "
                                                r"(sqrt|pow) at node 'y' \(operands 0.0\) cannot be built .*on floats "
                                                r"it is inf: the derivative is not finite here"):
        gradients(y, x, create_graph=True)
