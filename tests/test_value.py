"""`Value`: construction, type errors, operators (reflected forms too), repr, numerical stability, domain errors."""

import math
from decimal import Decimal
from fractions import Fraction

import pytest

import autograd_core as ag
from autograd_core import Value

try:  # numpy is optional: its scalars are tested when it is installed
    import numpy as np
except ImportError:
    np = None

needs_numpy = pytest.mark.skipif(np is None, reason="numpy not installed (optional: numpy scalars as data)")
NUMPY_REALS = [] if np is None else [np.float64(1.5), np.float32(0.25), np.int64(7), np.int32(-3), np.float16(0.5)]
NUMPY_BAD = [] if np is None else [(np.bool_(True), "bool"), (np.array([1.0, 2.0]), "ndarray")]
NUMBER_TYPES = [int, float] + ([] if np is None else [np.float64])


# ----------------------------------------------------------------------------------------------- construction
@pytest.mark.parametrize("data", [3, -2, 2.5, 0.0, Fraction(1, 4)] + NUMPY_REALS)
def test_real_numbers_are_accepted_and_stored_as_float(data):
    v = Value(data)
    assert type(v.data) is float
    assert v.data == float(data)
    assert float(v) == v.data


@pytest.mark.parametrize(("data", "type_name"), [
    (True, "bool"), (False, "bool"), (1 + 2j, "complex"), ("1.0", "str"), (None, "NoneType"), ([1.0], "list"),
    (Decimal("1.5"), "Decimal"),
] + NUMPY_BAD)
def test_other_types_are_a_type_error_naming_the_type(data, type_name):
    with pytest.raises(TypeError, match=type_name):
        Value(data)


@pytest.mark.parametrize("data", [math.nan, math.inf, -math.inf])
def test_nan_and_inf_are_accepted_as_data(data):
    v = Value(data)
    assert type(v.data) is float
    assert v.data == data or (math.isnan(data) and math.isnan(v.data))


def test_a_new_value_is_a_leaf():
    v = Value(2.0, label="w")
    assert (v.data, v.grad, v.label, v.op, v.parents, v.is_leaf, v.op_entry, v.arg) == (2.0, 0.0, "w", "", (), True,
                                                                                       None, None)
    assert Value(1.0).label == ""


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got int"):
        Value(1.0, label=3)


def test_value_uses_slots():
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.something_else = 1


# ----------------------------------------------------------------------------------------------- operators
X, Y = 3.0, -2.0
BINARY = [
    ("add", lambda a, b: a + b, X + Y, (1.0, 1.0)),
    ("sub", lambda a, b: a - b, X - Y, (1.0, -1.0)),
    ("mul", lambda a, b: a * b, X * Y, (Y, X)),
    ("div", lambda a, b: a / b, X / Y, (1 / Y, -X / Y ** 2)),
]


@pytest.mark.parametrize(("name", "f", "want", "grads"), BINARY, ids=[b[0] for b in BINARY])
def test_binary_operators_with_values_on_both_sides(name, f, want, grads):
    x, y = Value(X), Value(Y)
    z = f(x, y)
    assert isinstance(z, Value) and z.op == name and z.parents == (x, y)
    assert z.data == pytest.approx(want, rel=1e-15)
    z.backward()
    assert (x.grad, y.grad) == pytest.approx(grads, rel=1e-15)


@pytest.mark.parametrize(("name", "f", "want", "grads"), BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("number", NUMBER_TYPES, ids=[t.__name__ for t in NUMBER_TYPES])
def test_binary_operators_with_a_number_on_either_side(name, f, want, grads, number):
    x, y = Value(X), Value(Y)
    left = f(x, number(Y))  # x + 2
    right = f(number(X), y)  # 2 - y: the reflected forms
    for z in (left, right):
        assert isinstance(z, Value) and z.op == name
        assert z.data == pytest.approx(want, rel=1e-15)
    assert left.parents[0] is x and right.parents[1] is y
    left.backward()
    right.backward()
    assert x.grad == pytest.approx(grads[0], rel=1e-15)
    assert y.grad == pytest.approx(grads[1], rel=1e-15)


def test_power_forms():
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    p = x ** 3
    assert (p.op, p.arg, p.data) == ("pow", 3.0, 8.0)
    q = x ** y
    assert (q.op, q.parents, q.data) == ("vpow", (x, y), 8.0)
    r = 2 ** y
    assert (r.op, r.arg, r.data, r.parents) == ("rpow", 2.0, 8.0, (y,))
    (p + q + r).backward()
    assert x.grad == pytest.approx(3 * 4 + 3 * 4, rel=1e-15)  # d/dx x^3 + d/dx x^y = 12 + 12
    assert y.grad == pytest.approx(8 * math.log(2) * 2, rel=1e-15)  # d/dy x^y + d/dy 2^y at x = 2


def test_unary_operators_and_conversions():
    x = Value(-1.5)
    assert (-x).op == "neg" and (-x).data == 1.5
    assert abs(x).op == "abs" and abs(x).data == 1.5
    assert +x is x
    assert float(x) == -1.5


def test_comparisons_compare_data_and_equality_is_identity():
    a, b = Value(1.0), Value(2.0)
    assert a < b and a <= b and b > a and b >= a and a < 1.5 and b >= 2
    assert a == a and a != Value(1.0)
    assert len({a, Value(1.0)}) == 2  # hashable by identity: usable as dict keys


@pytest.mark.parametrize("bad", ["2", None, [1], 1j, True])
def test_unsupported_operands_are_a_type_error(bad):
    x = Value(1.0)
    for f in (lambda: x + bad, lambda: bad + x, lambda: x * bad, lambda: bad / x, lambda: x ** bad,
              lambda: bad ** x, lambda: x - bad):
        with pytest.raises(TypeError):
            f()


def test_sum_is_one_node_added_left_to_right():
    xs = [Value(float(i)) for i in range(1, 5)]
    s = ag.sum(xs, start=10)
    assert s.op == "sum" and s.parents == tuple(xs) and s.arg == 10.0 and s.data == 20.0
    b = Value(0.5)
    t = ag.sum([xs[0], 2.0], start=b)
    assert t.parents[0] is b and t.data == 3.5
    assert ag.sum([]) == 0.0 and ag.sum([], start=3) == 3.0 and ag.sum([1.0, 2.0]) == 3.0  # numbers in, float out
    with pytest.raises(TypeError, match="sum.*str"):
        ag.sum([xs[0], "a"])


def test_apply_checks_its_arguments():
    x = Value(1.0)
    with pytest.raises(TypeError, match="'tanh' takes 1 input"):
        ag.apply("tanh", x, x)
    with pytest.raises(TypeError, match="needs its parameter"):
        ag.apply("leaky_relu", x)
    with pytest.raises(TypeError, match="takes no parameter"):
        ag.apply("tanh", x, arg=2.0)
    with pytest.raises(TypeError, match="needs its parameter: arg=<start>"):
        ag.apply("sum", x, x)
    # sum follows every op's convention through apply: Values in, a node out; numbers in, a float out
    assert ag.apply("sum", x, 2.0, x, arg=0.5).data == 4.5 and ag.apply("sum", 1.0, 2.0, arg=0.0) == 3.0
    assert ag.apply("mul", 2.0, 4) == 8.0 and ag.apply("mul", x, 4).op == "mul"


# ----------------------------------------------------------------------------------------------- repr
def test_repr_shows_data_and_grad_in_the_shortest_round_trip_form():
    h = Value(1.0).tanh()
    h.label = "h1"
    h.grad = 0.42
    assert repr(h) == "Value(data=0.7615941559557649, grad=0.42, op='tanh', label='h1')"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"
    assert repr(Value(3.0, label="x") * 2) == "Value(data=6.0, grad=0.0, op='mul')"
    assert repr(Value(123456789.123)) == "Value(data=123456789.123, grad=0.0)"  # was 1.235e+08
    assert repr(Value(0.1) + 0.2) == "Value(data=0.30000000000000004, grad=0.0, op='add')"  # nothing hidden
    assert str(Value(1e-5)) == repr(Value(1e-5)) == "Value(data=1e-05, grad=0.0)"
    g = Value(2.0)
    g.grad = None  # PyTorch's set_to_none
    assert repr(g) == "Value(data=2.0, grad=None)"


@pytest.mark.parametrize("x", [0.7615941559557649, 123456789.123, 1e-300, -2.5e17, 0.1, math.inf, -0.0])
def test_repr_round_trips_the_data(x):
    text = repr(Value(x))
    assert float(text.split("data=")[1].split(",")[0]) == x


# ----------------------------------------------------------------------------------------------- stability
def test_sigmoid_and_softplus_saturate_without_overflow():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).softplus().data == 0.0
    assert ag.sigmoid(-1000.0) == 0.0 and ag.sigmoid(1000.0) == 1.0 and ag.softplus(1000.0) == 1000.0
    assert Value(-1000.0).exp().data == 0.0 and Value(1000.0).tanh().data == 1.0


@pytest.mark.parametrize("x", [-1000.0, -50.0, 50.0, 1000.0])
def test_saturated_ops_have_finite_gradients(x):
    v = Value(x)
    out = v.sigmoid() + v.softplus() + v.tanh() + v.elu() + v.leaky_relu()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)
    s = 1 / (1 + math.exp(-x)) if x > -700 else 0.0
    # sigmoid' + softplus' (= sigmoid) + tanh' + elu' + leaky_relu'
    want = s * (1 - s) + s + (1 - math.tanh(x) ** 2) + (1.0 if x > 0 else math.exp(x)) + (1.0 if x > 0 else 0.01)
    assert v.grad == pytest.approx(want, rel=1e-12, abs=1e-300)


# ----------------------------------------------------------------------------------------------- domain errors
BAD_INPUTS = [
    # (case, expression, error type, op named, operand shown)
    ("log of a negative", lambda: Value(-2.0, "x").log(), ValueError, "log", "-2.0"),
    ("log of zero", lambda: Value(0.0, "x").log(), ValueError, "log", "0.0"),
    ("log dual function", lambda: ag.log(Value(-3.0, "x")), ValueError, "log", "-3.0"),
    ("sqrt of a negative", lambda: Value(-1.0, "x").sqrt(), ValueError, "sqrt", "-1.0"),
    ("0 ** negative constant", lambda: Value(0.0, "x") ** -1, ZeroDivisionError, "pow", "0.0"),
    ("0 ** negative Value", lambda: Value(0.0, "x") ** Value(-2.0, "x2"), ZeroDivisionError, "vpow", "-2.0"),
    ("0.0 ** negative Value", lambda: 0.0 ** Value(-1.0, "x"), ZeroDivisionError, "rpow", "-1.0"),
    ("x / 0 Value", lambda: Value(1.0, "x") / Value(0.0, "x2"), ZeroDivisionError, "div", "0.0"),
    ("x / 0 number", lambda: Value(1.0, "x") / 0, ZeroDivisionError, "div", "0.0"),
    ("1 / x at 0", lambda: 1 / Value(0.0, "x"), ZeroDivisionError, "div", "0.0"),
    ("negative ** fraction", lambda: Value(-2.0, "x") ** 0.5, ValueError, "pow", "-2.0"),
    ("negative ** fraction Value", lambda: Value(-2.0, "x") ** Value(0.5, "x2"), ValueError, "vpow", "-2.0"),
    ("negative base ** Value", lambda: (-2.0) ** Value(0.5, "x"), ValueError, "rpow", "-2.0"),
    ("exp overflow", lambda: Value(1000.0, "x").exp(), OverflowError, "exp", "1000.0"),
    ("pow overflow", lambda: Value(10.0, "x") ** 400, OverflowError, "pow", "10.0"),
    ("rpow overflow", lambda: 10.0 ** Value(400.0, "x"), OverflowError, "rpow", "400.0"),
]


@pytest.mark.parametrize(("case", "make", "kind", "op", "operand"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_domain_errors_are_typed_and_name_op_operand_and_label(case, make, kind, op, operand):
    with pytest.raises(kind) as info:
        make()
    message = str(info.value)
    assert message.startswith(f"{op}: "), message
    assert operand in message, message
    assert "Value 'x'" in message, message


def test_domain_error_on_plain_numbers_names_the_op():
    with pytest.raises(ValueError, match=r"^log: argument must be > 0, got -2\.0$"):
        ag.log(-2.0)
    with pytest.raises(ValueError, match=r"sqrt: .*-4\.0"):
        ag.sqrt(-4.0)


def test_the_documented_example_message():
    with pytest.raises(ValueError) as info:
        Value(-2.0, label="x").log()
    assert str(info.value) == "log: argument must be > 0, got -2.0 (Value 'x')"


def test_a_failed_op_records_nothing():
    x = Value(-1.0, "x")
    with pytest.raises(ValueError):
        x.log()
    y = x * 2
    y.backward()
    assert x.grad == 2.0


@pytest.mark.parametrize(("method", "bad"), [("leaky_relu", "0.1"), ("elu", None), ("leaky_relu", True)])
def test_bad_parameters_are_a_type_error(method, bad):
    with pytest.raises(TypeError, match=method):
        getattr(Value(1.0), method)(bad)


def test_backward_seed_must_be_a_number():
    y = Value(2.0) * 3
    with pytest.raises(TypeError, match="backward"):
        y.backward("1")
    y.backward(2)
    assert y.grad == 2.0


@needs_numpy
def test_numpy_scalars_work_on_either_side_of_every_operator():
    x = Value(2.0)
    for z in (np.float64(3.0) + x, np.float64(3.0) - x, np.float64(3.0) * x, np.float64(3.0) / x,
              np.float64(3.0) ** x, x ** np.float64(2.0), x + np.int64(1)):
        assert isinstance(z, Value) and type(z.data) is float
    assert (np.float64(2.0) ** x).op == "rpow"
    y = x * np.float32(0.5)
    y.backward(np.float64(2.0))
    assert x.grad == 1.0
