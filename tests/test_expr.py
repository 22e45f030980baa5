"""The safe expression parser: lecture examples, the grammar, the whitelist, the limits, and fuzzing."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import OPS, Value, gradients, topological_order
from autograd_core.expr import LIMITS, Expression, ExpressionError, check_variable_name, parse_expression

DOMAIN_ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def leaves(**values: float) -> dict:
    return {name: Value(v, label=name) for name, v in values.items()}


# ------------------------------------------------------------------------------------------ lecture examples
def test_lecture_gradient_and_hessian():
    xs = leaves(x=-2.0, y=-2.0)
    f = parse_expression("x*y + 3*x**2", xs)
    assert f.data == 16.0
    f.backward()
    assert close(xs["x"].grad, -14.0) and close(xs["y"].grad, -2.0)
    first = gradients(f, [xs["x"], xs["y"]], create_graph=True)
    hessian = [gradients(g, [xs["x"], xs["y"]]) for g in first]
    assert [[round(h, 12) for h in row] for row in hessian] == [[6.0, 1.0], [1.0, 0.0]]


def test_lecture_regression_loss():
    xs = leaves(x=3.0, w=0.1, y=1.0)
    loss = parse_expression("(x*w - y)**2", xs)
    assert close(loss.data, 0.49)
    loss.backward()
    assert close(xs["w"].grad, -4.2)


# ------------------------------------------------------------------------------------------ grammar
@pytest.mark.parametrize("text, python", [
    ("x*y + 3*x**2", lambda x, y: x * y + 3 * x ** 2),
    ("-x ** 2", lambda x, y: -x ** 2),
    ("2 ** -x", lambda x, y: 2 ** -x),
    ("x ** y ** 2", lambda x, y: x ** y ** 2),
    ("x / y / 2", lambda x, y: x / y / 2),
    ("+x - -y", lambda x, y: +x - -y),
    ("2*3*x", lambda x, y: 2 * 3 * x),
    ("(1 + 2) * x - 0.5e1", lambda x, y: (1 + 2) * x - 0.5e1),
    ("x ** y", lambda x, y: x ** y),
])
def test_same_graph_as_python(text, python):
    # the parser builds the graph Python builds from the same text with Values for the variables
    a = leaves(x=1.5, y=0.75)
    b = leaves(x=1.5, y=0.75)
    got = parse_expression(text, a)
    want = python(b["x"], b["y"])
    assert [v.op for v in topological_order(got)] == [v.op for v in topological_order(want)]
    assert [v.arg for v in topological_order(got)] == [v.arg for v in topological_order(want)]
    assert got.data == want.data  # the same float operations in the same order
    got.backward()
    want.backward()
    assert (a["x"].grad, a["y"].grad) == (b["x"].grad, b["y"].grad)


def test_every_unary_op_of_the_table_is_callable_by_name():
    for name, op in OPS.items():
        if op.arity != 1 or not op.builtin:
            continue
        x = Value(0.7, label="x")
        args = "x" if op.param is None else "x, 0.5"
        v = parse_expression(f"{name}({args})", {"x": x})
        assert v.op == name and v.parents == (x,)
        assert v.arg == (None if op.param is None else 0.5)
        assert close(v.data, op.forward(0.7, v.arg))


def test_binary_ops_by_name_and_parameters_by_keyword():
    xs = leaves(x=2.0, y=3.0)
    assert parse_expression("mul(x, y)", xs).op == "mul"
    assert parse_expression("vpow(x, y)", xs).data == 8.0
    assert parse_expression("div(x, y)", xs).parents == (xs["x"], xs["y"])
    assert parse_expression("leaky_relu(-x, 0.1)", xs).data == pytest.approx(-0.2)
    assert parse_expression("leaky_relu(-x, slope=0.1)", xs).data == pytest.approx(-0.2)
    assert parse_expression("elu(x, alpha=1.0)", xs).arg == 1.0
    assert parse_expression("pow(x, 3)", xs).data == 8.0
    assert parse_expression("rpow(x, 3)", xs).data == 9.0  # 3 ** x
    assert parse_expression("leaky_relu(x, 2*0.05)", xs).arg == pytest.approx(0.1)  # a constant expression


def test_sum_is_one_node():
    xs = leaves(a=1.0, b=2.0, c=3.0)
    s = parse_expression("sum(a, b, c*2, start=0.5)", xs)
    assert s.op == "sum" and len(s.parents) == 3 and s.arg == 0.5 and s.data == 9.5
    t = parse_expression("sum([a, b, c])", xs)
    assert t.op == "sum" and t.data == 6.0
    assert parse_expression("sum(1, 2)", {}).data == 3.0


def test_reused_variable_is_one_leaf_and_gradients_add_up():
    x = Value(3.0, label="x")
    f = parse_expression("x*x + x", {"x": x})
    f.backward()
    assert x.grad == 7.0
    assert {v for v in topological_order(f) if v.is_leaf and v.label == "x"} == {x}


def test_constants_next_to_values_are_labelled_leaves():
    f = parse_expression("3*x", {"x": 2.0})
    assert [p.label for p in f.parents] == ["3", "x"]
    assert parse_expression("2*3", {}).data == 6.0  # a constant expression is one leaf


def test_custom_op_is_looked_up_at_parse_time():
    name = "cube_for_test_expr"
    with pytest.raises(ExpressionError, match="unknown function"):
        Expression.parse(f"{name}(x)", ["x"])
    ag.define_op(name, lambda x: x ** 3, [lambda x, out: 3 * x ** 2])
    try:
        x = Value(2.0, label="x")
        y = parse_expression(f"{name}(x) + 1", {"x": x})
        y.backward()
        assert y.data == 9.0 and x.grad == 12.0
    finally:
        del OPS[name]


def test_expression_parses_once_and_builds_many_times():
    e = Expression.parse("tanh(w*x + b)")
    assert e.variables == ("w", "x", "b")
    for w in (0.5, -1.0):
        v = e.build({"w": w, "x": 2.0, "b": 0.1, "unused": 9.0})
        assert close(v.data, math.tanh(w * 2.0 + 0.1))


def test_domain_errors_are_the_engines():
    with pytest.raises(ValueError, match=r"^log: argument must be > 0, got -2.0 \(Value 'x'\)$") as info:
        parse_expression("log(x)", {"x": -2.0})
    assert not isinstance(info.value, ExpressionError)
    with pytest.raises(ZeroDivisionError, match="^div: division by zero"):
        parse_expression("x / (y - y)", {"x": 1.0, "y": 2.0})
    with pytest.raises(ZeroDivisionError, match="^div: division by zero"):
        parse_expression("1 / 0", {})
    with pytest.raises(OverflowError, match="^exp: "):
        parse_expression("exp(x)", {"x": 1000.0})


# ------------------------------------------------------------------------------------------ rejections
HOSTILE = [
    ("__import__('os').system('touch /tmp/pwned_expr')", 17, "attribute access"),
    ("__import__('os')", 1, "unknown function '__import__'"),
    ("().__class__.__bases__", 13, "attribute access"),
    ("open('f')", 1, "unknown function 'open'"),
    ("eval('1')", 1, "unknown function 'eval'"),
    ("x.__dict__", 2, "attribute access"),
    ("lambda: 1", 1, "lambda"),
    ("[x for x in y]", 1, "comprehensions"),
    ("(x for x in y)", 1, "generator"),
    ("9**9**9", 4, "constant exponent 3.8742e+08 is too large"),
    ("x ** 2000", 6, "constant exponent 2000 is too large"),
    ("pow(x, 9**9)", 8, "constant exponent"),
    ("2 ** (10 ** 4) * x", 7, "constant exponent"),
    ("x" * 1_000_000, 2001, "1000000 characters long"),
    ("(" * 10_000 + "x" + ")" * 10_000, 2001, "characters long"),
    ("(" * 40 + "x" + ")" * 40, 33, "brackets nest more than 32"),
    ("-" * 1999 + "x", 1, "operators"),
    ("y + z", 5, "unknown variable 'z'"),
    ("exp", 1, "'exp' is an op"),
    ("x % 2", 3, "operator '%'"),
    ("x // 2", 3, "operator '//'"),
    ("x @ y", 3, "operator '@'"),
    ("~x", 1, "operator '~'"),
    ("not x", 1, "operator 'not'"),
    ("x < y", 1, "comparisons"),
    ("x and y", 1, "'and' / 'or'"),
    ("x if y else 1", 1, "conditional"),
    ("(x := 1)", 2, "assignment"),
    ("x[0]", 2, "subscripts"),
    ("[x, y]", 1, "lists"),
    ("x, y", 1, "tuples"),
    ("{x: y}", 1, "dicts"),
    ("f'{x}'", 1, "f-strings"),
    ("'abc'", 1, "strings"),
    ("b'abc'", 1, "bytes"),
    ("1j", 1, "complex numbers"),
    ("True", 1, "True"),
    ("None", 1, "None"),
    ("...", 1, "Ellipsis"),
    ("1e999", 1, "too large for a float"),
    ("1" + "0" * 400, 1, "too large for a float"),
    ("exp(*x)", 5, "'*' unpacking"),
    ("exp(**x)", 5, "'**' unpacking"),
    ("exp(x, y)", 1, "exp takes 1 input"),
    ("leaky_relu(x)", 1, "constant parameter slope"),
    ("leaky_relu(x, y)", 15, "slope of leaky_relu must be a constant"),
    ("exp(x, slope=1)", 8, "no keyword argument 'slope'"),
    ("(x)(y)", 1, "unknown function 'x'"),
    ("(x + 1)(y)", 1, "only the op table's functions"),
    ("1 +", 4, "ends too early"),
    ("x y", 3, "invalid syntax"),
    ("x = 1", 3, "invalid syntax"),
    ("", 1, "empty expression"),
    ("   ", 1, "empty expression"),
    ("x\ny", 2, "U+000A"),
    ("x\x00", 2, "U+0000"),
    ("\u00e9 + x", 1, "U+00E9"),
    ("x +\N{FULLWIDTH LATIN SMALL LETTER X}", 4, "U+FF58"),
    ("sum()", 1, "at least one"),
    ("x+" * 101 + "x", 1, "nests more than 100"),
]


@pytest.mark.parametrize("text, column, fragment", HOSTILE, ids=[repr(t[:30]) for t, _, _ in HOSTILE])
def test_hostile_inputs_are_rejected_with_the_column(text, column, fragment):
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, {"x": 1.0, "y": 2.0})
    e = info.value
    assert isinstance(e, ValueError)
    assert e.column == column, str(e)
    assert fragment in str(e)
    message = str(e)
    assert message.startswith(f"column {column}: ") and "\n" not in message and len(message) < 400


def test_declared_names_are_checked():
    with pytest.raises(ExpressionError, match="name of an op"):
        Expression.parse("x", ["exp"])
    with pytest.raises(ExpressionError, match="keyword"):
        Expression.parse("x", ["lambda"])
    with pytest.raises(ExpressionError, match="not a valid name"):
        check_variable_name("x-1")
    with pytest.raises(TypeError, match="must be a str"):
        Expression.parse(b"x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping"):
        parse_expression("x", [1.0])  # type: ignore[arg-type]
    with pytest.raises(ExpressionError, match=r"no value for variable 'y'; give it as y=VALUE") as info:
        Expression.parse("x + y").build({"x": 1.0})
    assert info.value.column == 5
    with pytest.raises(TypeError, match="number or a Value"):
        Expression.parse("x").build({"x": "1"})


def test_limits_are_public_and_long_sums_fit_in_sum():
    assert LIMITS["length"] == 2000 and LIMITS["exponent"] == 1024
    terms = ", ".join(["x"] * 150)
    assert parse_expression(f"sum({terms})", {"x": 1.0}).data == 150.0
    assert parse_expression("x ** 1024", {"x": 1.0}).data == 1.0
    with pytest.raises(ExpressionError, match="more than 500 numbers"):
        parse_expression("sum(" + ", ".join(["x*x*x"] * 110) + ")", {"x": 1.0})
    with pytest.raises(ExpressionError, match="601 operators, brackets and commas; the limit is 400"):
        parse_expression("sum(" + ", ".join(["x"] * 300) + ") + sum(" + ", ".join(["x"] * 300) + ")", {"x": 1.0})


# ------------------------------------------------------------------------------------------ fuzzing
def _outcome(text: str):
    """Parse and build; return the Value, or the exception, which must be one of the documented kinds."""
    try:
        e = Expression.parse(text, names=["x", "y"])
    except ExpressionError as err:
        return err
    try:
        return e.build({"x": 0.5, "y": -1.5})
    except ExpressionError as err:
        return err
    except DOMAIN_ERRORS as err:
        # the engine's own domain errors name the op first: "log: argument must be > 0, ..."
        assert str(err).split(":")[0] in OPS, repr(err)
        return err


@given(st.text(max_size=80))
def test_fuzz_random_text(text):
    result = _outcome(text)
    assert isinstance(result, (Value, ExpressionError, *DOMAIN_ERRORS))


@given(st.text(alphabet="xy0123456789.e+-*/()%,[]{}:;'\"_ .=<>!~@&|^ \t\\jabcdfghilmnoprstuvw", max_size=60))
def test_fuzz_python_like_text(text):
    result = _outcome(text)
    assert isinstance(result, (Value, ExpressionError, *DOMAIN_ERRORS))


_LEAVES = st.sampled_from([
    "x", "y", "z", "__class__", "__builtins__", "exp", "open", "0", "1", "2.5", "1e308", "1e999", "10**400",
    "'s'", "b'b'", "None", "True", "...", "1j", "()", "[]", "{}",
])
_FUNCTIONS = st.sampled_from(sorted(OPS) + ["open", "eval", "exec", "__import__", "getattr", "print", "type"])


def _grow(children: st.SearchStrategy) -> st.SearchStrategy:
    binary = st.sampled_from(["+", "-", "*", "/", "**", "%", "//", "@", "&", "|", "^", "<<", ">>", "==", "<",
                              " and ", " or ", " is ", " in "])
    unary = st.sampled_from(["-", "+", "~", "not "])
    return st.one_of(
        st.tuples(children, binary, children).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(unary, children).map(lambda t: f"{t[0]}{t[1]}"),
        st.tuples(_FUNCTIONS, st.lists(children, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(_FUNCTIONS, children, st.sampled_from(["slope", "alpha", "start", "exponent", "k"]), children)
        .map(lambda t: f"{t[0]}({t[1]}, {t[2]}={t[3]})"),
        st.tuples(children, st.sampled_from(["__class__", "__dict__", "real", "system"]))
        .map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(children, children).map(lambda t: f"{t[0]}[{t[1]}]"),
        children.map(lambda c: f"(lambda: {c})"),
        st.tuples(children, children).map(lambda t: f"[{t[0]} for x in {t[1]}]"),
        st.tuples(children, children, children).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        children.map(lambda c: f"(x := {c})"),
        children.map(lambda c: f"exp(*{c})"),
        children.map(lambda c: f"f'{{{c}}}'"),
        st.tuples(children, children).map(lambda t: f"({t[0]}, {t[1]})"),
        st.lists(children, max_size=3).map(lambda cs: f"sum([{', '.join(cs)}])"),
    )


@given(st.recursive(_LEAVES, _grow, max_leaves=12))
def test_fuzz_random_syntax_trees(text):
    # random trees from a grammar that includes every kind of disallowed node
    result = _outcome(text)
    assert isinstance(result, (Value, ExpressionError, *DOMAIN_ERRORS))


@given(st.data())
def test_parsed_source_matches_the_drawn_graph(data):
    # differential: the testing module's random expressions print as source text; parsing that text must build
    # a graph with the same value and the same gradients
    from autograd_core.testing import expressions

    builtin = [name for name, op in OPS.items() if op.builtin]
    expr = data.draw(expressions(n_vars=2, max_depth=3, ops=builtin))
    inputs = data.draw(expr.inputs())
    a = [Value(v, label=f"x{i}") for i, v in enumerate(inputs)]
    b = [Value(v, label=f"x{i}") for i, v in enumerate(inputs)]
    want = expr.build(a)
    got = parse_expression(expr.source(), {"x0": b[0], "x1": b[1]})
    assert math.isclose(got.data, want.data, rel_tol=1e-12, abs_tol=1e-12)
    want.backward()
    got.backward()
    for u, v in zip(a, b):
        assert math.isclose(u.grad, v.grad, rel_tol=1e-9, abs_tol=1e-9)


def test_closing_brackets_lower_the_nesting_count():
    # regression: ")" was not counted as closing a level, so 33 flat calls were "nested 33 levels deep"
    text = "+".join(["exp(x)"] * 40)
    y = parse_expression(text, {"x": 0.0})
    assert y.data == 40.0
    with pytest.raises(ExpressionError, match="nest more than 32"):
        parse_expression("(" * 33 + "x" + ")" * 33, {"x": 1.0})
