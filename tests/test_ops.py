"""The op table, tested entry by entry: iterate ``autograd_core.OPS`` so that a new built-in op is tested automatically.

For every built-in op: its local derivatives against central differences (over hypothesis-drawn inputs inside its
domain, away from its kinks), against sympy's exact derivative, and through the engine's backward; its forward
against sympy; and the table entry's shape.
"""

import math
import operator
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
    return op.forward(*inputs, arg)  # one calling convention for every op, variadic sum included


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
    assert op.explainer is None or callable(op.explainer)
    assert all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in op.kinks)
    if op.builtin:
        assert op.doc, f"{op.name} has no doc line"
        # a non-smooth built-in names where it is not differentiable, so tests and strategies can avoid it
        assert op.smooth == (not op.kinks)
        assert op.sympy is not None, f"{op.name} has no sympy form"
        assert op.notation in ("infix", "prefix", "power", "rpower", "call", "affine")


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
    y = ag.apply(op, *leaves, arg=arg)
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


# ------------------------------------------------------------------------------------------ the table's other rules
@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
@given(data=st.data())
def test_the_printer_round_trips_through_the_parser(op, data):
    # the one text form: what Op.write prints, parse_expression rebuilds as the very same node
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    names = [f"v{i}" for i in range(len(inputs))]
    text, _ = op.write([(n, ag.ops.ATOM) for n in names], arg, exact=True)
    y = ag.parse_expression(text, dict(zip(names, inputs)))
    assert y.op_entry is op and y.arg == (arg if op.param is not None else None), text
    assert [p.data for p in y.parents] == list(inputs)
    assert y.data == forward(op, inputs, arg)


@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
@given(data=st.data())
def test_the_interval_rule_holds_every_output(op, data):
    # the strategies trust Op.interval to keep drawn expressions inside every op's domain: it must be guaranteed
    assert op.interval is not None
    a, arg = data.draw(op_arguments(op), label="corner a")
    b, _ = data.draw(op_arguments(op, n_inputs=len(a) if op.arity == -1 else None), label="corner b")
    ivs = [(min(x, y), max(x, y)) for x, y in zip(a, b)]
    lo, hi = op.interval(op, ivs, arg)
    ts = data.draw(st.tuples(*[st.floats(0.0, 1.0)] * len(ivs)), label="where inside")
    point = [iv[0] + t * (iv[1] - iv[0]) for iv, t in zip(ivs, ts)]
    y = forward(op, tuple(point), arg)
    slack = 1e-12 * max(1.0, abs(lo), abs(hi))
    assert lo - slack <= y <= hi + slack, (op.name, ivs, arg, point, y, (lo, hi))


@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
@given(data=st.data())
def test_nan_propagates_through_every_op(op, data):
    # as in PyTorch: a NaN operand gives a NaN output (relu(nan) is nan, never a silent 0), unless the output does
    # not depend on that operand at all (x ** 0 is 1)
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    for i in range(len(inputs)):
        moved = list(inputs)
        moved[i] = math.nan
        y = forward(op, tuple(moved), arg)
        constant = len({forward(op, tuple(moved[:i] + [x] + moved[i + 1:]), arg) for x in (0.25, 0.5, 0.75)}) == 1
        assert math.isnan(y) or constant, (op.name, moved, arg, y)
        if not constant:
            assert math.isnan(ag.apply(op, *[Value(x) for x in moved], arg=arg).data)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "step", "abs"])
def test_nan_reaches_the_gradient_of_piecewise_ops(name):
    op = OPS[name]
    arg = None if op.param is None else 0.1
    (d,) = op.local_derivatives((math.nan,), forward(op, (math.nan,), arg), arg)
    assert math.isnan(d)
    x = Value(math.nan)
    y = ag.apply(op, x, arg=arg)
    y.backward()
    assert math.isnan(y.data) and math.isnan(x.grad)


@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
def test_domain_errors_name_the_op_and_the_operands(op):
    # every math error a forward raises comes back typed, starting with the op's name and showing the operands
    n = (op.counts[0] + op.counts[1]) if op.arity == -1 else op.arity
    arg = None if op.param is None else (-1.5 if op.param == "exponent" else 2.0)
    raised = 0
    for point in [(0.0,) * n, (-1.0,) * n, (-0.5, 0.0)[:n], (0.0, -1.0)[:n], (1000.0,) * n, (5000.0,) * n,
                  (-8.0, 0.5)[:n]]:
        point = (point * n)[:n]  # a variadic op takes its own counts of inputs
        try:
            ag.apply(op, *[Value(x) for x in point], arg=arg)
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            raised += 1
            assert str(e).startswith(f"{op.name}: ") and "got " in str(e), str(e)
    if op.explainer is not None:
        assert raised, f"{op.name} has an explainer but no probe point raised"


@pytest.mark.parametrize("op", BUILTIN, ids=BUILTIN_IDS)
@given(data=st.data())
def test_builtin_derivatives_on_values_are_never_flagged_as_constant(op, data):
    # create_graph's check for derivatives written with math.*: no false alarm on any built-in, kinks included
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    for point in [inputs] + ([tuple(op.kinks[0] for _ in inputs)] if op.kinks else []):
        leaves = [Value(x) for x in point]
        try:
            node = ag.apply(op, *leaves, arg=arg)
        except (ValueError, ZeroDivisionError, OverflowError):
            continue
        locals_ = op.derivatives_on_values(tuple(leaves), node, arg)
        assert len(locals_) == len(leaves)


def test_a_derivative_written_with_math_is_an_error_under_create_graph():
    op = ag.define_op("math_sin_for_test", math.sin, [lambda x, out: math.cos(x)], replace=True)
    step_like = ag.define_op("steplike_for_test", lambda x: max(x, 0.0), [lambda x, out: 1.0 if x > 0 else 0.0],
                             replace=True)
    try:
        x = Value(0.5, label="x")
        with pytest.raises(TypeError, match=r"math_sin_for_test: local derivative 0 returned the plain number .* "
                                            r"changes with input 0 .*autograd_core.cos"):
            ag.gradients(ag.apply(op, x), x, create_graph=True)
        with pytest.raises(TypeError, match="math_sin_for_test"):
            ag.hessian(lambda t: ag.apply(op, t))(0.5)
        # piecewise-constant derivatives stay fine, at the kink too
        for at in (0.5, 0.0, -0.5):
            t = Value(at)
            (g,) = ag.gradients(ag.apply(step_like, t) * t, [t], create_graph=True)
            assert isinstance(g, Value)
    finally:
        del OPS["math_sin_for_test"], OPS["steplike_for_test"]


@pytest.mark.parametrize(("result", "want"), [(3, 3.0), (True, None), (2 + 1j, None), ("1", None)])
def test_define_op_results_are_checked(result, want):
    op = ag.define_op("const_for_test", lambda x: result, [lambda x, out: 0.0], replace=True)
    try:
        if want is None:
            with pytest.raises(TypeError, match=r"const_for_test: the forward function returned"):
                ag.apply(op, Value(1.0))
        else:
            y = ag.apply(op, Value(1.0))
            assert type(y.data) is float and y.data == want
    finally:
        del OPS["const_for_test"]


def test_define_op_numpy_scalar_results_become_floats():
    np = pytest.importorskip("numpy")
    op = ag.define_op("np_for_test", lambda x: np.float32(x) * 2, [lambda x, out: 2.0], replace=True)
    try:
        y = ag.apply(op, Value(1.5))
        assert type(y.data) is float and y.data == 3.0
    finally:
        del OPS["np_for_test"]


# ------------------------------------------------------------------------------------- generated code paths
SPELLINGS = (operator.add, operator.sub, operator.mul, operator.truediv, operator.neg, abs)
TEMPLATED = [op for op in BUILTIN if op.py is not None and op.arity in (1, 2) and op.param is None]


@pytest.mark.parametrize("op", TEMPLATED, ids=[op.name for op in TEMPLATED])
@given(data=st.data())
def test_generated_operators_methods_and_backward_are_bit_identical_to_the_table(op, data):
    # the operators, Value's methods and backward's float loop are generated from the op's templates (Op.py):
    # they must do exactly what forward and derivs do, bit for bit
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    method = getattr(Value, op.name, None)
    spellings = SPELLINGS + ((method,) if callable(method) else ())
    built = 0
    for spell in spellings:
        leaves = [Value(x) for x in inputs]
        try:
            y = spell(*leaves)
        except (TypeError, ArithmeticError, ValueError):
            continue  # another op's spelling: other operand count, or outside that op's domain
        if not isinstance(y, Value) or y.op_entry is not op:
            continue
        built += 1
        assert y.data == op.forward(*inputs, arg) or (y.data != y.data and op.forward(*inputs, arg) != y.data)
        assert y.parents == tuple(leaves)
        y.backward()
        want = op.local_derivatives(tuple(inputs), y.data, arg)
        if len(leaves) == 2 and leaves[0] is leaves[1]:
            continue
        assert [leaf.grad for leaf in leaves] == [float(d) for d in want]
    if method is not None or op.arity == 2:
        assert built or op.name == "vpow", f"no generated spelling builds {op.name}"  # x ** y: the general path


@pytest.mark.parametrize("op", [op for op in OPS.values() if op.nb is not None])
@given(data=st.data())
def test_numba_forms_fill_in_the_table_derivatives(op, data):
    inputs, arg = data.draw(op_arguments(op), label="inputs, arg")
    out = forward(op, inputs, arg)
    d = [0.0] * len(inputs)
    op.nb(list(inputs), out, arg, d)
    assert d == [float(x) for x in op.local_derivatives(tuple(inputs), out, arg)]


def test_generated_methods_read_like_python_methods():
    # regression (review): generated methods showed signatures (x) and (x, y) and no source in tracebacks
    import inspect
    import traceback

    assert str(inspect.signature(Value.exp)) == "(self)"
    assert str(inspect.signature(Value.__rmul__)) == "(self, other)"
    assert "def __rtruediv__(self, other):" in inspect.getsource(Value.__rtruediv__)
    try:
        Value(1.0) / Value(0.0)
    except ZeroDivisionError:
        text = traceback.format_exc()
    assert "autograd_core generated: Value.__truediv__" in text and "return _apply2(OP, self, other)" in text
