"""Anomaly mode: each cause of nan/inf, forward and backward, is caught and explained; outside it nothing is checked."""

import math

import pytest

import autograd_core as ag
from autograd_core import AnomalyError, Value, detect_anomaly, gradients


# ------------------------------------------------------------------------------------------------ forward
def mul_overflow():
    return Value(1e200, label="a") * Value(1e200, label="b")


def inf_minus_inf():
    return Value(math.inf, label="p") - Value(math.inf, label="q")


def nan_leaf():
    return Value(math.nan, label="n") + 1.0


FORWARD_CASES = [
    (mul_overflow, r"mul produced inf in the forward pass from operands 1e\+200 \(Value 'a'\), 1e\+200 "
                   r"\(Value 'b'\): overflow: the result exceeds the largest float"),
    (inf_minus_inf, r"sub produced nan in the forward pass from operands inf \(Value 'p'\), inf \(Value 'q'\): an "
                    r"operand is already inf"),
    (nan_leaf, r"add produced nan in the forward pass from operands nan \(Value 'n'\), 1.0: an operand is already "
               r"nan: it was a leaf's data"),
]


@pytest.mark.parametrize("build, message", FORWARD_CASES, ids=["mul-overflow", "inf-minus-inf", "nan-leaf"])
def test_forward_anomalies_name_the_op_operands_labels_and_cause(build, message):
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=message):
            build()


@pytest.mark.parametrize("build", [c[0] for c in FORWARD_CASES], ids=["mul-overflow", "inf-minus-inf", "nan-leaf"])
def test_outside_the_context_forward_gives_inf_or_nan_without_raising(build):
    out = build()
    assert not math.isfinite(out.data)


DOMAIN_CASES = [
    (lambda: Value(0.0, label="x").log(), ValueError, r"log: argument must be > 0, got 0.0 \(Value 'x'\)$"),
    (lambda: Value(-4.0, label="x").sqrt(), ValueError, r"sqrt: argument must be >= 0, got -4.0"),
    (lambda: Value(0.0, label="x") ** -1, ZeroDivisionError, r"^pow: 0 cannot be raised to a negative power "),
    (lambda: Value(1.0) / Value(0.0, label="d"), ZeroDivisionError, r"div: division by zero.*'d'"),
    (lambda: Value(1000.0, label="z").exp(), OverflowError, r"exp: result too large .*inputs above 709.78 overflow"),
]


@pytest.mark.parametrize("build, kind, message", DOMAIN_CASES, ids=["log0", "sqrt-neg", "zero-pow-neg", "div0", "exp"])
def test_domain_errors_in_anomaly_mode_are_both_anomaly_errors_and_their_usual_type(build, kind, message):
    with detect_anomaly():
        with pytest.raises(kind, match=message) as info:
            build()
    assert isinstance(info.value, AnomalyError) and isinstance(info.value, FloatingPointError)


@pytest.mark.parametrize("build, kind, message", DOMAIN_CASES, ids=["log0", "sqrt-neg", "zero-pow-neg", "div0", "exp"])
def test_domain_errors_outside_anomaly_mode_are_only_their_usual_type(build, kind, message):
    with pytest.raises(kind) as info:
        build()
    assert not isinstance(info.value, AnomalyError)
    assert "likely cause" not in str(info.value)


# ------------------------------------------------------------------------------------------------ backward
def sqrt_at_zero():
    x = Value(0.0, label="x")
    y = x.sqrt()
    y.label = "y"
    return x, y


def half_power_at_zero():
    x = Value(0.0, label="x")
    y = x ** 0.5
    y.label = "y"
    return x, y


def log_near_zero():
    x = Value(1e-310, label="x")  # log is finite (-713.8) but its derivative 1/x overflows
    y = x.log()
    y.label = "y"
    return x, y


def gradient_overflow():
    x = Value(1e-200, label="x")
    y = x * 1e200
    z = y * 1e200  # every value is finite, but dz/dx = 1e400
    z.label = "z"
    return x, z


def zero_times_inf():
    x = Value(0.0, label="x")
    s = x.sqrt()
    s.label = "s"
    y = (s - 1.0).relu()  # relu passes a zero gradient into sqrt's infinite local derivative
    return x, y


BACKWARD_CASES = [
    (sqrt_at_zero, r"gradient of input 0 \('x'\) of sqrt at node 'y' \(output 0.0, operands 0.0 \(Value 'x'\)\) "
                   r"became non-finite; likely cause: the local derivative is inf at these operands \(sqrt\(x\); "
                   r"derivative 1 / \(2 sqrt\(x\)\)\)"),
    (half_power_at_zero, r"of pow at node 'y' \(output 0.0, operands 0.0 \(Value 'x'\); exponent=0.5\) .*the local "
                         r"derivative is inf at these operands \(x \*\* c for a constant c; derivative c x\^\(c-1\)\)"),
    (log_near_zero, r"of log at node 'y' .*operands 1e-310 \(Value 'x'\).*the local derivative is inf at these "
                    r"operands \(ln x; derivative 1/x\)"),
    (gradient_overflow, r"input 0 \('x'\) of mul at an unlabelled node .*likely cause: overflow: upstream 1e\+200 x "
                        r"local 1e\+200"),
    (zero_times_inf, r"of sqrt at node 's' .*likely cause: 0 x inf: the upstream gradient is 0.0 and the local "
                     r"derivative is inf"),
]
BACKWARD_IDS = ["sqrt0", "pow-half0", "log-derivative", "gradient-overflow", "zero-times-inf"]


@pytest.mark.parametrize("build, message", BACKWARD_CASES, ids=BACKWARD_IDS)
def test_backward_anomalies_name_the_op_operands_label_and_cause(build, message):
    x, y = build()  # built outside: the forward pass is finite, the anomaly is in backward
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"^backward: .*" + message):
            y.backward()
        with pytest.raises(AnomalyError, match=message):
            gradients(y, x)
        with pytest.raises(AnomalyError, match=message):
            gradients(y, x, create_graph=True)


@pytest.mark.parametrize("build", [c[0] for c in BACKWARD_CASES], ids=BACKWARD_IDS)
def test_outside_the_context_backward_gives_inf_or_nan_without_raising(build):
    x, y = build()
    y.backward()
    assert not math.isfinite(x.grad)
    assert not math.isfinite(gradients(y, x))


def test_zero_times_inf_is_nan_outside():
    x, y = zero_times_inf()
    y.backward()
    assert math.isnan(x.grad)


# ------------------------------------------------------------------------------------------------ the switch
def test_anomaly_error_is_a_floating_point_error():
    assert issubclass(AnomalyError, FloatingPointError)


def test_the_context_restores_the_previous_state_even_after_an_error():
    assert not ag.anomaly_enabled()
    with pytest.raises(AnomalyError):
        with detect_anomaly():
            assert ag.anomaly_enabled()
            with detect_anomaly():
                assert ag.anomaly_enabled()
            assert ag.anomaly_enabled()
            mul_overflow()
    assert not ag.anomaly_enabled()


def test_finite_graphs_give_identical_results_inside_and_outside():
    def run():
        x, y = Value(0.3, label="x"), Value(-1.2, label="y")
        out = ((x * y).tanh() + (x - y).exp() / (1.0 + x * x) + y.sigmoid().log()) ** 2
        out.backward()
        return out.data, x.grad, y.grad, gradients(out, [x, y]), gradients(gradients(out, x, create_graph=True), y)

    plain = run()
    with detect_anomaly():
        checked = run()
    assert checked == plain  # the same float operations in the same order: bit-identical
