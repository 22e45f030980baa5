"""nn.delta: the lectures' hand-derived backprop agrees with the engine to 1e-12 relative, layer by layer."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
import nn
from nn import delta
from nn.layers import ACTIVATIONS

RTOL = 1e-12
ELEMENTWISE_OUTPUTS = [a for a in ACTIVATIONS if a != "step"]


def _randomise_biases(model, seed):
    rng = random.Random(seed)
    for name, p in model.named_parameters():
        if ".b[" in name or name.startswith("b"):
            p.data = rng.uniform(-0.5, 0.5)


@st.composite
def problems(draw):
    """A random MLP, batch, loss and matching targets."""
    nin = draw(st.integers(1, 4))
    hidden = draw(st.lists(st.integers(1, 5), min_size=0, max_size=3))
    nout = draw(st.integers(1, 4))
    acts = [draw(st.sampled_from(ACTIVATIONS)) for _ in hidden]
    combo = draw(st.sampled_from([
        "mse", "half_mse", "bce_sigmoid", "bce_logits", "bce_logits_general", "cross_entropy", "categorical",
        "kl", "hinge", "softmax_mse",
    ]))
    out_act = {
        "bce_sigmoid": "sigmoid", "bce_logits": "linear", "cross_entropy": "linear", "categorical": "softmax",
        "kl": "softmax", "softmax_mse": "softmax", "bce_logits_general": "tanh",
    }.get(combo) or draw(st.sampled_from(ELEMENTWISE_OUTPUTS))
    loss = {
        "bce_sigmoid": "binary_cross_entropy", "bce_logits": "binary_cross_entropy_with_logits",
        "bce_logits_general": "binary_cross_entropy_with_logits", "categorical": "categorical_cross_entropy",
        "kl": "kl_divergence", "softmax_mse": "mse",
    }.get(combo, combo)
    n = draw(st.integers(1, 5))
    coords = st.floats(-2.0, 2.0, allow_nan=False)
    X = [[draw(coords) for _ in range(nin)] for _ in range(n)]
    if loss in ("cross_entropy", "categorical_cross_entropy"):
        y = [draw(st.integers(0, nout - 1)) for _ in range(n)]
    elif loss == "kl_divergence":
        y = []
        for _ in range(n):
            w = [draw(st.floats(0.0, 1.0)) for _ in range(nout)]
            w[draw(st.integers(0, nout - 1))] += 0.5
            y.append([wi / math.fsum(w) for wi in w])
    elif loss == "hinge":
        y = [[draw(st.sampled_from([-1.0, 1.0])) for _ in range(nout)] for _ in range(n)]
    elif loss.startswith("binary"):
        y = [[draw(st.sampled_from([0.0, 1.0, 0.3])) for _ in range(nout)] for _ in range(n)]
    else:
        y = [[draw(st.floats(-1.5, 1.5)) for _ in range(nout)] for _ in range(n)]
    seed = draw(st.integers(0, 2**16))
    init = draw(st.sampled_from(["xavier", "he"]))
    l2 = draw(st.sampled_from([0.0, 0.05]))
    model = nn.MLP(nin, hidden + [nout], activation=acts, output_activation=out_act, init=init, seed=seed)
    _randomise_biases(model, seed)
    return model, X, y, loss, l2


@given(problems())
def test_delta_rule_equals_engine(problem):
    model, X, y, loss, l2 = problem
    result = delta.check(model, X, y, loss, l2=l2)
    assert len(result.layers) == len(model.layers)
    for layer in result.layers:
        assert layer.max_rel <= RTOL, str(result)
    assert result.loss_delta == pytest.approx(result.loss_engine, rel=RTOL, abs=RTOL)
    assert result.ok(RTOL)


@given(st.integers(1, 3), st.integers(1, 4), st.sampled_from(ACTIVATIONS), st.integers(0, 1000))
def test_delta_rule_on_a_layer_and_a_neuron(nin, nout, act, seed):
    layer = nn.Layer(nin, nout, activation=act, seed=seed)
    neuron = nn.Neuron(nin, activation=act, seed=seed)
    _randomise_biases(layer, seed)
    neuron.b.data = 0.1
    X = [[0.3 * (k + 1) - 0.5 for k in range(nin)], [0.7] * nin]
    assert delta.check(layer, X, [[0.5] * nout, [-0.5] * nout], "mse", l2=0.1).ok(RTOL)
    assert delta.check(neuron, X, [0.5, -0.5], "half_mse").ok(RTOL)


def test_gradients_keyed_like_state_dict_and_equal_to_engine():
    model = nn.MLP(2, [3, 2], activation="tanh", output_activation="softmax", seed=3)
    _randomise_biases(model, 3)
    X, y = [[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]], [0, 1, 1]
    hand = delta.gradients(model, X, y, "categorical_cross_entropy", l2=0.01)
    assert list(hand) == list(model.state_dict())
    total = ag.sum([nn.losses.categorical_cross_entropy(model(x), t) for x, t in zip(X, y)]) * (1 / 3)
    total = total + nn.losses.l2_penalty(model, 0.01)
    total.backward()
    engine = {name: [[w.grad for w in row] if isinstance(row, list) else row.grad for row in tensor.values]
              for name, tensor in ((t.name, t) for t in model.named_tensors())}
    for name in hand:
        flat_hand = [v for row in hand[name] for v in (row if isinstance(row, list) else [row])]
        flat_engine = [v for row in engine[name] for v in (row if isinstance(row, list) else [row])]
        assert flat_hand == pytest.approx(flat_engine, rel=1e-12, abs=1e-15)
    neuron_grads = delta.gradients(nn.Neuron(2, seed=0), X, [0.1, 0.2, 0.3], "mse")
    assert isinstance(neuron_grads["w"], list) and isinstance(neuron_grads["b"], float)


def test_forward_keeps_every_z_and_a():
    model = nn.MLP(1, [2, 2, 1], activation="sigmoid", seed=0)
    _randomise_biases(model, 0)
    fw = delta.forward(model, [0.7])
    assert fw.z[0] is None and fw.a[0] == [0.7]
    assert [len(z) for z in fw.z[1:]] == [2, 2, 1] and [len(a) for a in fw.a] == [1, 2, 2, 1]
    layer1 = model.layers[0]
    z11 = layer1.b[0].data + layer1.W[0][0].data * 0.7
    assert fw.z[1][0] == z11
    assert fw.a[1][0] == ag.sigmoid(z11)
    assert fw.a[3] == [model.predict([0.7])]  # bit for bit the engine's forward (a layer vector of one)


def test_squared_error_with_sigmoid_output_lecture_formula():
    # backprop.md section 2: L = 1/2 (t - y)^2 with a sigmoid output has delta[L] = -(t - y) sigma'(z)
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=1)
    bp = delta.backprop(model, [0.4, -0.9], 0.8, "half_mse")
    y_hat, z = bp.a[2][0], bp.z[2][0]
    sigma_prime = ag.sigmoid(z) * (1 - ag.sigmoid(z))
    assert bp.delta[2][0] == pytest.approx(-(0.8 - y_hat) * sigma_prime, rel=1e-14)
    # hidden layer: delta[1] = W[2]^T delta[2] * g'(z[1]) with g = tanh
    W2 = [[w.data for w in row] for row in model.layers[1].W]
    for k in range(3):
        expected = W2[0][k] * bp.delta[2][0] * (1 - math.tanh(bp.z[1][k]) ** 2)
        assert bp.delta[1][k] == pytest.approx(expected, rel=1e-14)
    assert "o'(z[L])" in bp.rule


@pytest.mark.parametrize("output, loss, target, rule", [
    ("softmax", "categorical_cross_entropy", 1, "δ[L] = a[L] - y"),
    ("sigmoid", "binary_cross_entropy", [1.0, 0.0], "δ[L] = (a[L] - y)/N"),
    ("linear", "cross_entropy", 2, "δ[L] = softmax(z[L]) - y"),
    ("linear", "binary_cross_entropy_with_logits", [1.0, 0.0], "δ[L] = (σ(z[L]) - y)/N"),
])
def test_cross_entropy_delta_is_a_minus_y(output, loss, target, rule):
    nout = 3 if isinstance(target, int) else 2
    model = nn.MLP(2, [3, nout], activation="relu", output_activation=output, seed=2)
    bp = delta.backprop(model, [0.3, 0.6], target, loss)
    assert bp.rule.startswith(rule)
    a = bp.a[2] if output != "linear" else (nn.losses.softmax(bp.z[2]) if loss == "cross_entropy"
                                            else [ag.sigmoid(z) for z in bp.z[2]])
    y = [1.0 if i == target else 0.0 for i in range(nout)] if isinstance(target, int) else target
    scale = 1.0 if isinstance(target, int) else 1.0 / nout
    assert bp.delta[2] == pytest.approx([(ai - yi) * scale for ai, yi in zip(a, y)], rel=1e-14)


def test_lecture_13_parameter_network_per_layer_report():
    model = nn.MLP(1, [2, 2, 1], activation="sigmoid", seed=0)
    _randomise_biases(model, 0)
    X = [[-4.8], [-4.5], [-4.3], [0.0], [2.5]]
    y = [0.0, 0.5, 0.3, 1.0, -0.2]
    result = delta.check(model, X, y, "half_mse", l2=0.01)
    assert [c.shape for c in result.layers] == [(2, 1), (2, 2), (1, 2)]
    assert result.ok(RTOL)
    text = str(result)
    assert "layer  shape" in text and "2x1" in text and "1x2" in text and "half_mse" in text
    assert len(text.splitlines()) == 3 + 3


def test_check_has_teeth(monkeypatch):
    # a wrong hand derivative (tanh' = 1 - tanh instead of 1 - tanh^2) must show up as a large difference
    model = nn.MLP(2, [3, 1], activation="tanh", seed=4)
    X, y = [[0.5, -0.5], [1.0, 0.3]], [0.2, -0.4]
    assert delta.check(model, X, y, "mse").ok()
    monkeypatch.setitem(delta.G_PRIME, "tanh", lambda z, a: 1.0 - a)
    bad = delta.check(model, X, y, "mse")
    assert not bad.ok()
    assert bad.layers[0].max_rel > 1e-3 and bad.layers[1].max_rel == 0.0


def test_unsupported_loss_and_model():
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="no hand-derived rule for loss .*supported: mse, half_mse"):
        delta.check(model, [[0.0, 0.0]], [0.0], lambda o, t: o[0] * o[0])
    with pytest.raises(TypeError, match="must be an MLP, Layer or Neuron"):
        delta.network(object())
    with pytest.raises(ValueError, match="expected an input of length 2, got length 3"):
        delta.forward(model, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="l2 must be"):
        delta.gradients(model, [[0.0, 0.0]], [0.0], "mse", l2=-1)
    with pytest.raises(ValueError, match="class index 5 is out of range"):
        delta.check(nn.MLP(2, [3]), [[0.0, 0.0]], [5], "cross_entropy")


# ---------------------------------------------------------------------------------------------------------------
# the activation rules are tables keyed by name, not chains comparing names
# ---------------------------------------------------------------------------------------------------------------
def test_hand_tables_cover_every_activation_and_match_the_engine():
    assert set(delta.G) == set(delta.G_PRIME) == set(ACTIVATIONS)
    for name in ACTIVATIONS:
        f = nn.activations.activation_function(name)
        for z in (-1.3, -0.2, 0.4, 2.1):
            x = ag.Value(z)
            out = x if f is None else f(x)
            out.backward()
            assert delta.G[name](z) == pytest.approx(out.data, rel=1e-15, abs=1e-300), name
            assert delta.G_PRIME[name](z, out.data) == pytest.approx(x.grad, rel=1e-12, abs=1e-15), name


def test_hand_activations_propagate_nan_like_the_engine():
    for name in ACTIVATIONS:
        assert math.isnan(delta.G[name](math.nan)), name


def test_no_engine_activation_name_is_compared_in_nn():
    import ast
    import pathlib

    op_names = set(ACTIVATIONS) - {"linear"}  # the engine's ops; "linear" and "softmax" are nn's own names

    def constants(node):
        elts = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
        return {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}

    for path in sorted(pathlib.Path(nn.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                hits = set().union(*(constants(side) for side in [node.left, *node.comparators])) & op_names
                assert not hits, f"{path.name}:{node.lineno} compares with {sorted(hits)}; use a table keyed by name"


# ---------------------------------------------------------------------------------------------------------------
# reduction over the outputs: "sum" is the notes' loss, and δ[L] their formula exactly
# ---------------------------------------------------------------------------------------------------------------
@given(problems())
def test_delta_rule_equals_engine_with_the_loss_summed_over_the_outputs(problem):
    model, X, y, loss, l2 = problem
    reduction = "sum" if loss in nn.losses.ELEMENTWISE_LOSSES else "mean"
    result = delta.check(model, X, y, loss, l2=l2, reduction=reduction)
    assert result.ok(RTOL), str(result)
    assert result.reduction == reduction


def test_sum_gives_notes_000_a_minus_y_and_notes_001_delta_exactly():
    model = nn.MLP(3, [4, 3], activation="tanh", output_activation="sigmoid", seed=5)
    _randomise_biases(model, 5)
    x, t = [0.2, -0.7, 1.1], [1.0, 0.0, 1.0]
    bce = delta.backprop(model, x, t, "binary_cross_entropy", reduction="sum")
    a = bce.a[2]
    assert bce.delta[2] == [ai - ti for ai, ti in zip(a, t)]  # notes 000: δ[L] = a[L] - y, to the bit
    assert bce.rule == "δ[L] = a[L] - y (binary cross-entropy, sigmoid output)"
    sq = delta.backprop(model, x, t, "half_mse", reduction="sum")
    assert sq.delta[2] == [-(ti - ai) * (ai * (1 - ai)) for ti, ai in zip(t, a)]  # notes 001: -(t - y) σ'(d)
    assert "summed" in sq.rule
    # the mean divides δ[L], and so every δ[l] and gradient, by the N = 3 outputs
    for name in ("binary_cross_entropy", "half_mse", "mse", "hinge"):
        target = [1.0, -1.0, 1.0] if name == "hinge" else t
        s, m = delta.backprop(model, x, target, name, reduction="sum"), delta.backprop(model, x, target, name)
        for layer in (1, 2):
            assert m.delta[layer] == pytest.approx([d / 3 for d in s.delta[layer]], rel=1e-14, abs=1e-300)
        assert m.loss == pytest.approx(s.loss / 3, rel=1e-14)
    gs = delta.gradients(model, [x], [t], "binary_cross_entropy", reduction="sum")
    gm = delta.gradients(model, [x], [t], "binary_cross_entropy")
    assert gs["layers.1.b"] == pytest.approx([3 * g for g in gm["layers.1.b"]], rel=1e-14)


def test_logits_and_class_losses_under_reduction():
    model = nn.MLP(2, [3, 2], activation="relu", output_activation="linear", seed=2)
    bp = delta.backprop(model, [0.3, 0.6], [1.0, 0.0], "binary_cross_entropy_with_logits", reduction="sum")
    assert bp.rule.startswith("δ[L] = σ(z[L]) - y")
    assert bp.delta[2] == pytest.approx([ag.sigmoid(z) - t for z, t in zip(bp.z[2], [1.0, 0.0])], rel=1e-15)
    with pytest.raises(ValueError, match="cross_entropy is already a sum over the classes"):
        delta.backprop(model, [0.3, 0.6], 1, "cross_entropy", reduction="sum")
    with pytest.raises(ValueError, match="reduction must be 'mean'"):
        delta.check(model, [[0.3, 0.6]], [[1.0, 0.0]], "mse", reduction="max")
    assert "reduction='sum'" in str(delta.check(model, [[0.3, 0.6]], [[1.0, 0.0]], "mse", reduction="sum"))


def test_loss_rules_tables():
    # LOSS_RULES keeps its meaning (the mean, as fit trains by default); loss_rule gives either reduction
    assert set(delta.LOSS_RULES) == set(delta.SUPPORTED_LOSSES) == set(nn.losses.LOSSES)
    assert set(delta.TERM_RULES) == set(nn.losses.ELEMENTWISE_LOSSES)
    a, y = [0.2, 0.9], [0.0, 1.0]
    mean_L, mean_g = delta.LOSS_RULES["half_mse"]
    sum_L, sum_g = delta.loss_rule("half_mse", "sum")
    assert sum_g(a, y) == [0.2, 0.9 - 1.0] and mean_g(a, y) == [0.1, (0.9 - 1.0) / 2]
    assert sum_L(a, y) == pytest.approx(2 * mean_L(a, y), rel=1e-15)
    with pytest.raises(ValueError, match="no hand-derived rule for loss 'l1'"):
        delta.loss_rule("l1")


# ---------------------------------------------------------------------------------------------------------------
# notes 003's from-to indices
# ---------------------------------------------------------------------------------------------------------------
def test_notes_003_index_mapping():
    model = nn.MLP(3, [2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    for i in (1, 2, 3):
        for j in (1, 2):
            assert delta.notes_003_index(i, j) == (0, j - 1, i - 1)
            assert delta.notes_003_weight(model, i, j) is model.layers[0].W[j - 1][i - 1]
    assert delta.notes_003_weight(model, 2, 1, (1, 2)) is model.layers[1].W[0][1]
    w = [[0.1, -0.2], [0.4, 0.3], [-0.5, 0.6]]  # notes 003's w[i][j]
    W = delta.notes_003_matrix(w)
    assert W == [[0.1, 0.4, -0.5], [-0.2, 0.3, 0.6]] and delta.notes_003_matrix(W) == w
    # the mapping sends each notes-003 weight to the gradient of the right parameter
    for j, row in enumerate(W):
        for i, v in enumerate(row):
            model.layers[0].W[j][i].data = v
    x, d = [1.0, 0.5, -0.5], 1.0
    loss = nn.losses.mse(model(x), d)
    engine = ag.gradients(loss, [delta.notes_003_weight(model, 3, 2)])[0]
    net2 = sum(w[i][1] * x[i] for i in range(3))  # net input of hidden unit 2 in notes 003's indices
    y = [1 / (1 + math.exp(-sum(w[i][j] * x[i] for i in range(3)))) for j in range(2)]
    o = 1 / (1 + math.exp(-sum(model.layers[1].W[0][j].data * y[j] for j in range(2))))
    s2 = 1 / (1 + math.exp(-net2))
    hand = 2 * (o - d) * o * (1 - o) * model.layers[1].W[0][1].data * s2 * (1 - s2) * x[2]
    assert engine == pytest.approx(hand, rel=1e-12)


@pytest.mark.parametrize("call, error, message", [
    (lambda m: delta.notes_003_index(0, 1), ValueError, "i must be an int >= 1 .*notes 003 count from 1.*got 0"),
    (lambda m: delta.notes_003_index(1, 1.5), ValueError, "j must be an int >= 1"),
    (lambda m: delta.notes_003_index(1, 1, (0, 2)), ValueError, "layers must be a pair .*consecutive"),
    (lambda m: delta.notes_003_index(1, 1, 1), ValueError, "layers must be a pair"),
    (lambda m: delta.notes_003_weight(m, 4, 1), ValueError, r"w_41\^\(0,1\) does not exist: layers \(0,1\) go from 3"),
    (lambda m: delta.notes_003_weight(m, 1, 1, (2, 3)), ValueError, "past the output: the model has 2 weight layer"),
    (lambda m: delta.notes_003_weight(object(), 1, 1), TypeError, "model must be an MLP"),
    (lambda m: delta.notes_003_matrix([[1, 2], [3]]), ValueError, "rectangular"),
])
def test_notes_003_helpers_name_bad_arguments(call, error, message):
    model = nn.MLP(3, [2, 1], seed=0)
    with pytest.raises(error, match=message):
        call(model)
