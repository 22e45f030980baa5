"""The op table, tested entry by entry: iterate ``autograd_core.OPS`` so that a new built-in op is tested automatically.

For every built-in op: its local derivatives against central differences (over hypothesis-drawn inputs inside its
domain, away from its kinks), against sympy's exact derivative, and through the engine's backward; its forward
against sympy; and the table entry's shape.
"""

import math
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import OPS, Domain, Op, Value
from autograd_core.testing import op_arguments

sympy = pytest.importorskip("sympy")

# Built-in entries only: custom ops that other test modules define on purpose (some deliberately wrong, to test
# gradcheck) live in the same table and must not be held to these checks.
BUILTIN = [op for op in OPS.values() if op.builtin]
BUILTIN_IDS = [op.name for op in BUILTIN]


def forward(op: Op, inputs: tuple, arg) -> float:
    return op.forward(tuple(inputs), arg) if op.arity == -1 else op.forward(*inputs, arg)


def central_difference(op: Op, inputs: tuple, arg, i: int) -> float:
    """Five-point stencil d forward / d input_i; error O(h^4), steps stay far inside the drawn margins."""
    h = 1e-4 * max(1.0, abs(inputs[i]))

    def f(dx: float) -> float:
        moved = list(inputs)
        moved[i] = inputs[i] + dx
        return forward(op, tuple(moved), arg)

    return (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h)


def assert_close(got: float, want: float, scale: float, what: str, rel: float = 1e-7, abs_: float = 1e-9) -> None:
    assert math.isfinite(got), f"{what}: got {got!r}"
    assert math.isclose(got, want, rel_tol=rel, abs_tol=abs_ * max(1.0, abs(scale))), \
        f"{what}: {got!r} vs {want!r} (difference {got - want:.3g})"


# ----------------------------------------------------------------------------------------------- table shape
def test_builtin_ops_are_all_there():
    expected = {"add", "sub", "mul", "div", "vpow", "sum", "neg", "abs", "pow", "rpow", "exp", "log", "sqrt", "tanh",
                "sigmoid", "relu", "leaky_relu", "softplus", "elu", "sin", "cos", "step"}
    assert expected <= set(BUILTIN_IDS)


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
def test_table_entry_is_well_formed(op):
    assert OPS[op.name] is op
    assert ag.get_op(op.name) is op
    assert op.name.isidentifier()
    assert op.arity in (-1, 1, 2)
    n = 1 if op.arity == -1 else op.arity
    assert callable(op.forward)
    assert isinstance(op.derivs, tuple) and len(op.derivs) == n
    assert all(d is None or callable(d) for d in op.derivs)
    assert isinstance(op.domains, tuple) and len(op.domains) == n
    assert all(isinstance(d, Domain) for d in op.domains)
    assert isinstance(op.param_domain, Domain)
    assert op.check is None or callable(op.check)
    assert all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in op.kinks)
    if op.builtin:
        assert op.doc, f"{op.name} has no doc line"
        # a non-smooth built-in names where it is not differentiable, so tests and strategies can avoid it
        assert op.smooth == (not op.kinks)
        if op.name != "sum":
            assert op.sympy is not None, f"{op.name} has no sympy form"


def test_unknown_op_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="known ops: .*tanh"):
        ag.get_op("tahn")


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "elu",
                                  "sin", "cos", "step"])
def test_value_methods_and_dual_functions_dispatch_into_the_table(name):
    x = Value(0.5)
    y = getattr(x, name)()
    assert y.op_entry is OPS[name] and y.op == name and y.parents == (x,)
    f = getattr(ag, name)
    assert type(f(0.5)) is float
    assert f(0.5) == y.data  # the same forward function, so the same float
    assert f(x).op == name


@pytest.mark.parametrize(("make", "name"), [
    (lambda x, y: x + y, "add"), (lambda x, y: x - y, "sub"), (lambda x, y: x * y, "mul"),
    (lambda x, y: x / y, "div"), (lambda x, y: x ** y, "vpow"), (lambda x, y: -x, "neg"),
    (lambda x, y: abs(x), "abs"), (lambda x, y: x ** 3, "pow"), (lambda x, y: 2 ** x, "rpow"),
    (lambda x, y: ag.sum([x, y]), "sum"),
])
def test_operators_dispatch_into_the_table(make, name):
    v = make(Value(1.5), Value(0.5))
    assert v.op_entry is OPS[name]


# ----------------------------------------------------------------------------------------------- derivatives
@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
@given(data=st.data())
def test_local_derivatives_match_central_differences(op, data):
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    out = forward(op, inputs, arg)
    assert math.isfinite(out)
    analytic = op.local_derivatives(inputs, out, arg)
    assert len(analytic) == len(inputs)
    for i, d in enumerate(analytic):
        numeric = central_difference(op, inputs, arg, i)
        assert_close(float(d), numeric, out, f"{op.name} d/d input {i} at {inputs} (arg={arg})")


@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
@given(data=st.data())
def test_backward_applies_the_table_derivatives(op, data):
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(inputs)]
    y = ag.sum(leaves, start=arg) if op.arity == -1 else ag.apply(op, *leaves, arg=arg)
    assert y.op_entry is op and y.parents == tuple(leaves)
    assert y.data == forward(op, inputs, arg)  # the engine calls the very same forward function
    y.backward()
    want = op.local_derivatives(inputs, y.data, arg)
    for leaf, d in zip(leaves, want):
        assert math.isclose(leaf.grad, d, rel_tol=1e-14, abs_tol=1e-300)
    assert y.local_derivatives() == tuple(want)


@cache
def symbolic(name: str, n: int):
    """(symbols, param symbol, sympy expression of the op, its derivative per input, lambdified) for OPS[name]."""
    op = OPS[name]
    xs = sympy.symbols(f"x0:{n}", real=True)
    c = sympy.Symbol("c", real=True)
    if op.sympy is None:  # only the variadic sum, whose sympy form is plain addition
        assert op.name == "sum"
        expr = sympy.Add(c, *xs)
    else:
        expr = op.sympy(*xs, c if op.param is not None else None)
    derivs = [sympy.diff(expr, x) for x in xs]
    args = list(xs) + [c]
    f = sympy.lambdify(args, expr, modules="mpmath")
    dfs = [sympy.lambdify(args, d, modules="mpmath") for d in derivs]
    return f, dfs


def sympy_args(inputs: tuple, arg) -> list:
    return [*inputs, 0.0 if arg is None else arg]


@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
@given(data=st.data())
def test_local_derivatives_match_sympy(op, data):
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    _, dfs = symbolic(op.name, len(inputs))
    out = forward(op, inputs, arg)
    analytic = op.local_derivatives(inputs, out, arg)
    for i, (d, exact) in enumerate(zip(analytic, dfs)):
        want = float(exact(*sympy_args(inputs, arg)))
        assert_close(float(d), want, want, f"{op.name} d/d input {i} at {inputs} (arg={arg})", rel=1e-10,
                     abs_=1e-12)


@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
@given(data=st.data())
def test_forward_matches_sympy(op, data):
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    f, _ = symbolic(op.name, len(inputs))
    want = float(f(*sympy_args(inputs, arg)))
    assert_close(forward(op, inputs, arg), want, want, f"{op.name}{inputs} (arg={arg})", rel=1e-12, abs_=1e-14)


@pytest.mark.parametrize("op", [op for op in BUILTIN if op.kinks], ids=[op.name for op in BUILTIN if op.kinks])
def test_non_smooth_ops_take_a_one_sided_derivative_at_a_kink(op):
    # At a kink the local derivative is a convention (relu'(0) = 0 as in PyTorch): it must lie between the one-sided
    # derivatives there, never be nan or inf.
    arg = None if op.param is None else 0.5
    h = 1e-7
    for k in op.kinks:
        f0 = forward(op, (k,), arg)
        (d,) = op.local_derivatives((k,), f0, arg)
        left = (f0 - forward(op, (k - h,), arg)) / h
        right = (forward(op, (k + h,), arg) - f0) / h
        assert math.isfinite(d)
        if op.name != "step":
            assert min(left, right) - 1e-6 <= d <= max(left, right) + 1e-6, (op.name, k, d, left, right)
        else:  # step jumps at 0 (the left quotient is 1/h); by definition no gradient flows through it
            assert d == 0.0
