"""nn.losses: values against hand formulas, gradients against closed forms, stability, bad targets."""

import math

import pytest

import autograd_core as ag
import nn
from autograd_core import Value
from nn import losses as L


def vals(*xs):
    return [Value(float(x), label=f"y{i}") for i, x in enumerate(xs)]


def test_softmax_worked_example():
    probs = L.softmax([1.8, 0.9, 0.68])
    assert [round(p, 2) for p in probs] == [0.58, 0.23, 0.19]
    assert all(type(p) is float for p in probs)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-15)
    as_values = L.softmax(vals(1.8, 0.9, 0.68))
    assert [p.data for p in as_values] == pytest.approx(probs, rel=1e-15)


def test_softmax_and_log_softmax_are_stable():
    assert L.softmax([1000.0, 0.0]) == [1.0, 0.0]
    assert L.log_softmax([1000.0, 0.0]) == [0.0, -1000.0]
    out = L.log_softmax(vals(1000.0, 999.0))
    assert out[0].data == pytest.approx(-math.log1p(math.exp(-1.0)), rel=1e-15)
    assert L.cross_entropy(vals(-1000.0, 1000.0), 0).data == pytest.approx(2000.0)
    with pytest.raises(ValueError, match="logits must be finite, got inf at index 1"):
        L.softmax([0.0, math.inf])


def test_softmax_gradient_is_jacobian():
    z = vals(0.3, -1.2, 2.0)
    p = L.softmax(z)
    grads = ag.gradients(p[0], z)
    s = [q.data for q in p]
    assert grads == pytest.approx([s[0] * (1 - s[0]), -s[0] * s[1], -s[0] * s[2]], rel=1e-12)


def test_mse_both_scalings():
    y, t = vals(0.3, -0.5), [1.0, 0.5]
    full, half = L.mse(y, t), L.half_mse(y, t)
    assert full.data == pytest.approx(((0.3 - 1) ** 2 + (-0.5 - 0.5) ** 2) / 2, rel=1e-15)
    assert half.data == pytest.approx(full.data / 2, rel=1e-15)
    assert L.mse(y, t, half=True).data == half.data
    assert ag.gradients(full, y) == pytest.approx([2 * (0.3 - 1) / 2, 2 * (-1.0) / 2], rel=1e-15)
    assert ag.gradients(half, y) == pytest.approx([(0.3 - 1) / 2, -1.0 / 2], rel=1e-15)


def test_lecture_one_weight_example():
    # x = 3, y = 1, w = 0.1, identity activation, squared error, learning rate 1 (backprop.md section 7)
    w = Value(0.1, label="w")
    neuron = nn.Neuron(1, activation="linear", seed=0)
    neuron.w[0], neuron.b = w, Value(0.0)
    loss = L.mse(neuron([3.0]), 1.0)
    assert loss.data == pytest.approx(0.49, rel=1e-14)
    loss.backward()
    assert w.grad == pytest.approx(-4.2, rel=1e-14)
    opt = nn.SGD([w], lr=1.0)
    opt.step()
    assert w.data == pytest.approx(4.3, rel=1e-14)


def test_logistic_regression_graph_gradients():
    # backprop.md section 3: dL/dz = a - y, dL/dw = (a - y) x, dL/db = a - y
    x = [0.5, -1.5, 2.0]
    neuron = nn.Neuron(3, activation="sigmoid", seed=1)
    neuron.b.data = 0.2
    for y in (0.0, 1.0):
        a = neuron(x)
        loss = L.binary_cross_entropy(a, y)
        expected = -y * math.log(a.data) - (1 - y) * math.log(1 - a.data)
        assert loss.data == pytest.approx(expected, rel=1e-14)
        grads = ag.gradients(loss, neuron.w + [neuron.b])
        err = a.data - y
        assert grads == pytest.approx([err * xi for xi in x] + [err], rel=1e-12)


def test_bce_with_logits_equals_bce_of_sigmoid():
    for z, t in [(0.3, 1.0), (-2.0, 0.0), (1.5, 0.25), (30.0, 0.0), (-800.0, 1.0)]:
        logits = vals(z)
        stable = L.binary_cross_entropy_with_logits(logits, t)
        expected = -t * math.log(ag.sigmoid(z)) - (1 - t) * math.log(ag.sigmoid(-z)) if abs(z) < 30 else None
        if expected is not None:
            assert stable.data == pytest.approx(expected, rel=1e-12)
        assert math.isfinite(stable.data)
        assert ag.gradients(stable, logits[0]) == pytest.approx(ag.sigmoid(z) - t, rel=1e-12, abs=1e-300)
    assert L.binary_cross_entropy_with_logits(vals(-800.0), 1.0).data == pytest.approx(800.0)


def test_bce_saturated_probability():
    assert L.binary_cross_entropy(vals(1.0), 1.0).data == 0.0  # the right answer with certainty costs nothing
    with pytest.raises(ValueError, match="infinite loss; use binary_cross_entropy_with_logits"):
        L.binary_cross_entropy(vals(1.0), 0.0)


def test_cross_entropy_and_categorical():
    z = vals(1.8, 0.9, 0.68)
    ce = L.cross_entropy(z, 0)
    probs = L.softmax([1.8, 0.9, 0.68])
    assert ce.data == pytest.approx(-math.log(probs[0]), rel=1e-14)
    assert ag.gradients(ce, z) == pytest.approx([probs[0] - 1, probs[1], probs[2]], rel=1e-12)
    cat = L.categorical_cross_entropy(L.softmax(z), 0)
    assert cat.data == pytest.approx(ce.data, rel=1e-14)
    assert L.log_softmax([1.8, 0.9, 0.68])[2] == pytest.approx(math.log(probs[2]), rel=1e-14)


def test_kl_divergence():
    p = vals(0.5, 0.3, 0.2)
    t = [0.2, 0.0, 0.8]
    kl = L.kl_divergence(p, t)
    assert kl.data == pytest.approx(0.2 * math.log(0.2 / 0.5) + 0.8 * math.log(0.8 / 0.2), rel=1e-14)
    assert ag.gradients(kl, p) == pytest.approx([-0.2 / 0.5, 0.0, -0.8 / 0.2], rel=1e-14)
    onehot = L.kl_divergence(p, [0, 1, 0])
    assert onehot.data == pytest.approx(L.categorical_cross_entropy(p, 1).data, rel=1e-15)
    assert L.kl_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0


def test_hinge():
    s = vals(0.3, -2.0, 1.5)
    h = L.hinge(s, [1, 1, -1])
    assert h.data == pytest.approx((0.7 + 3.0 + 2.5) / 3, rel=1e-15)
    assert ag.gradients(h, s) == pytest.approx([-1 / 3, -1 / 3, 1 / 3], rel=1e-15)
    assert L.hinge(vals(2.0), 1).data == 0.0


def test_l2_penalty_leaves_biases_out():
    model = nn.MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.data = 0.5
    penalty = L.l2_penalty(model, 0.1)
    weights, biases = model.weights(), [b for layer in model.layers for b in layer.b]
    assert penalty.data == pytest.approx(0.5 * 0.1 * 0.25 * len(weights), rel=1e-14)
    grads = ag.gradients(penalty, weights + biases)
    assert grads[: len(weights)] == pytest.approx([0.1 * 0.5] * len(weights), rel=1e-14)
    assert grads[len(weights):] == [0.0] * len(biases)
    explicit = L.l2_penalty(model.parameters(), 0.1)
    assert explicit.data > penalty.data  # with a list, exactly the given Values count
    assert L.l2_penalty(model, 0).data == 0.0


@pytest.mark.parametrize("call, error, message", [
    (lambda: L.cross_entropy(vals(1, 2, 3), 3), ValueError,
     r"class index 3 is out of range for 3 classes \(valid: 0..2\)"),
    (lambda: L.cross_entropy(vals(1, 2, 3), -1), ValueError, "class index -1 is out of range"),
    (lambda: L.cross_entropy(vals(1, 2), 1.0), TypeError, "class index"),
    (lambda: L.cross_entropy(vals(1, 2), True), TypeError, "class index"),
    (lambda: L.categorical_cross_entropy(vals(0.5, 0.5), 2), ValueError, "out of range"),
    (lambda: L.binary_cross_entropy(vals(0.5), 1.5), ValueError,
     r"target 0 must be a probability in \[0, 1\], got 1.5"),
    (lambda: L.binary_cross_entropy(vals(0.5), -0.1), ValueError, "must be a probability"),
    (lambda: L.binary_cross_entropy(vals(1.5), 1.0), ValueError, "output 0 must be a probability"),
    (lambda: L.binary_cross_entropy_with_logits(vals(0.5), 2.0), ValueError, "must be a probability"),
    (lambda: L.kl_divergence(vals(0.5, 0.5), [1.2, -0.2]), ValueError, "must be a probability"),
    (lambda: L.kl_divergence(vals(0.5, 0.5), [0.5, 0.6]), ValueError, "must sum to 1"),
    (lambda: L.hinge(vals(0.5), 0), ValueError, "must be -1 or \\+1, got 0.0 \\(map 0/1 labels"),
    (lambda: L.mse(vals(1, 2), [1.0]), ValueError, r"2 output\(s\) but 1 target\(s\)"),
    (lambda: L.mse(vals(1), math.nan), ValueError, "must be finite"),
    (lambda: L.mse(vals(1), "1"), TypeError, "target must be a number"),
    (lambda: L.mse(vals(1), Value(1.0)), TypeError, "targets are data"),
    (lambda: L.mse("1.0", 1.0), TypeError, "outputs must be a Value or a list of Values"),
    (lambda: L.mse(True, 1.0), TypeError, "outputs must be a Value or a list of Values.*got bool"),
    (lambda: L.mse(3, [1.0, 2.0]), ValueError, r"1 output\(s\) but 2 target\(s\)"),
    (lambda: L.mse([], []), ValueError, "outputs is empty"),
    (lambda: L.mse(["a"], [1.0]), TypeError, r"outputs\[0\]"),
    (lambda: L.l2_penalty(nn.MLP(1, [1], seed=0), -1.0), ValueError, "lam must be a finite number >= 0"),
    (lambda: L.l2_penalty([1.0], 0.1), TypeError, r"params\[0\] must be a Value"),
    (lambda: L.get_loss("l1"), ValueError, "unknown loss 'l1'; valid names: mse, half_mse"),
    (lambda: L.get_loss(3), TypeError, "loss must be a name"),
])
def test_bad_targets_and_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_losses_on_floats_return_floats():
    assert L.mse([0.5], 1.0) == 0.25
    assert type(L.cross_entropy([1.0, 2.0], 1)) is float
    assert type(L.hinge([0.5], -1)) is float


def test_accuracy_rules():
    assert L.accuracy_rule("mse") is None
    assert L.accuracy_rule(L.cross_entropy)([0.1, 2.0, 0.3], 1) is True
    assert L.accuracy_rule("hinge")([-0.2], -1.0) is True
    assert L.accuracy_rule("binary_cross_entropy")([0.7], 0.0) is False
    assert L.accuracy_rule("binary_cross_entropy_with_logits")([0.1], 1.0) is True
    assert L.loss_name(L.hinge) == "hinge" and L.loss_name(len) is None


def test_hinge_of_a_nan_score_is_nan():
    # NaN propagates through relu (as in PyTorch), so a broken score is never hidden as a zero loss
    assert math.isnan(L.hinge([math.nan], 1))
    assert math.isnan(L.hinge([Value(math.nan)], -1).data)
    assert math.isnan(L.hinge([Value(0.5), Value(math.nan)], [1, -1]).data)


def test_target_checks_are_public():
    assert L.check_targets("t", 0.5, 1) == [0.5]
    assert L.check_targets("t", (1, 2), 2) == [1.0, 2.0]
    with pytest.raises(ValueError, match="t: 2 output"):
        L.check_targets("t", [1.0], 2)
    assert L.check_class_index("c", 2, 3) == 2
    with pytest.raises(ValueError, match="c: class index 3 is out of range"):
        L.check_class_index("c", 3, 3)
    with pytest.raises(TypeError, match="c: the target must be a class index"):
        L.check_class_index("c", True, 3)


# ---------------------------------------------------------------------------------------------------------------
# a model with one output returns the Value itself (micrograd's convention): every loss takes either form
# ---------------------------------------------------------------------------------------------------------------
SINGLE = [("mse", 0.3), ("half_mse", 0.3), ("binary_cross_entropy", 1.0), ("binary_cross_entropy", 0.25),
          ("binary_cross_entropy_with_logits", 0.0), ("hinge", -1.0), ("cross_entropy", 0),
          ("categorical_cross_entropy", 0), ("kl_divergence", [1.0])]


@pytest.mark.parametrize(("name", "target"), SINGLE, ids=[f"{n}-{t}" for n, t in SINGLE])
def test_a_single_output_is_a_list_of_one(name, target):
    loss = L.LOSSES[name]
    alone, listed = Value(0.4), Value(0.4)
    a, b = loss(alone, target), loss([listed], target)
    assert isinstance(a, Value) and a.data == b.data
    a.backward()
    b.backward()
    assert alone.grad == listed.grad
    plain = loss(0.4, target)  # a float, as predict gives it for a single output
    assert type(plain) is float and plain == loss([0.4], target) == pytest.approx(a.data, rel=1e-15)


def test_softmax_and_log_softmax_return_the_form_they_are_given():
    z = Value(3.0)
    one = L.softmax(z)
    assert isinstance(one, Value) and one.data == 1.0
    assert L.softmax(3.0) == 1.0 and L.log_softmax(3.0) == 0.0
    assert isinstance(L.log_softmax(z), Value) and L.log_softmax(z).data == 0.0
    assert isinstance(L.softmax([z]), list) and len(L.softmax([z])) == 1


@pytest.mark.parametrize(("name", "target", "output", "correct"), [
    ("binary_cross_entropy", 1, 0.7, True), ("binary_cross_entropy", 0, 0.7, False),
    ("binary_cross_entropy_with_logits", 1, -0.5, False), ("hinge", -1, -0.2, True),
    ("cross_entropy", 0, 5.0, True), ("kl_divergence", [1.0], 0.3, True),
])
def test_accuracy_rules_take_either_form(name, target, output, correct):
    rule = L.accuracy_rule(name)
    for form in (Value(output), [Value(output)], output, [output]):
        assert rule(form, target) is correct


def test_a_string_is_not_an_output():
    for bad in ("0.5", b"0.5", True, 1j):
        with pytest.raises(TypeError, match=r"mse: outputs must be a Value or a list of Values"):
            L.mse(bad, 0.5)


# ---------------------------------------------------------------------------------------------------------------
# reduction over the outputs of one sample: "mean" (default) or "sum" (the notes' form)
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, outputs, target", [
    ("mse", (0.3, -0.5, 1.2), [1.0, 0.5, 0.0]),
    ("half_mse", (0.3, -0.5, 1.2), [1.0, 0.5, 0.0]),
    ("binary_cross_entropy", (0.3, 0.6, 0.9), [1.0, 0.0, 0.3]),
    ("binary_cross_entropy_with_logits", (0.3, -0.6, 2.0), [1.0, 0.0, 0.3]),
    ("hinge", (0.3, -0.6, 2.0), [1.0, -1.0, -1.0]),
])
def test_sum_is_n_times_the_mean_for_every_elementwise_loss(name, outputs, target):
    assert name in L.ELEMENTWISE_LOSSES
    f = L.LOSSES[name]
    ys_mean, ys_sum = vals(*outputs), vals(*outputs)
    mean, total = f(ys_mean, target), f(ys_sum, target, reduction="sum")
    assert f(ys_mean, target, reduction="mean").data == mean.data  # "mean" is the default
    assert total.data == pytest.approx(3 * mean.data, rel=1e-14)
    g_mean, g_sum = ag.gradients(mean, ys_mean), ag.gradients(total, ys_sum)
    assert g_sum == pytest.approx([3 * g for g in g_mean], rel=1e-14, abs=1e-300)
    # on floats too, and a single output: the two are the same
    assert f(list(outputs), target, reduction="sum") == pytest.approx(3 * f(list(outputs), target), rel=1e-14)
    assert f(outputs[0], target[0], reduction="sum") == f(outputs[0], target[0])


def test_half_mse_summed_is_notes_001_loss_and_gradient():
    # L = Σ_k ½ (t_k - y_k)², ∂L/∂y_i = -(t_i - y_i)
    y, t = vals(0.8, 0.3), [1.0, 0.0]
    loss = L.half_mse(y, t, reduction="sum")
    assert loss.data == pytest.approx(0.5 * (0.2 ** 2 + 0.3 ** 2), rel=1e-15)
    assert ag.gradients(loss, y) == pytest.approx([-(1.0 - 0.8), -(0.0 - 0.3)], rel=1e-15)


@pytest.mark.parametrize("call, message", [
    (lambda: L.mse(vals(1), 0.0, reduction="avg"), "mse: reduction must be 'mean' .* or 'sum' .*got 'avg'"),
    (lambda: L.hinge(vals(1), 1.0, reduction=None), "hinge: reduction must be"),
    (lambda: L.with_reduction("cross_entropy", "sum", "fit"), "fit: cross_entropy is already a sum over the classes"),
    (lambda: L.with_reduction("kl_divergence", "sum"), "kl_divergence is already a sum"),
    (lambda: L.with_reduction(lambda o, t: o, "sum", "fit"), "fit: reduction='sum' applies to nn's elementwise"),
    (lambda: L.with_reduction("mse", "total"), "with_reduction: reduction must be"),
])
def test_bad_reductions_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_with_reduction():
    assert L.with_reduction("mse") is L.mse and L.with_reduction(L.hinge, "mean") is L.hinge
    assert L.with_reduction("cross_entropy", "mean") is L.cross_entropy  # the class losses' only form
    summed = L.with_reduction("half_mse", "sum")
    assert summed.__name__ == "half_mse_sum"
    assert summed([0.8, 0.3], [1.0, 0.0]) == pytest.approx(0.065, rel=1e-14)
