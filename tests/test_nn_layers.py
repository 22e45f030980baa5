"""nn.layers: Neuron, Layer, MLP: layout, names, scopes, activations, initialisation, bad input."""

import math
import random

import pytest

import autograd_core as ag
import nn
from autograd_core import Value
from nn.layers import ACTIVATIONS, INITS, OUTPUT_ACTIVATIONS


def test_lecture_network_has_13_parameters():
    # 1 input, two hidden layers of 2 sigmoid neurons, 1 linear output (backprop.md section 1)
    model = nn.MLP(1, [2, 2, 1], activation="sigmoid", output_activation="linear", seed=0)
    assert model.num_parameters() == 13
    assert len(model.parameters()) == 13
    assert [len(layer.W) for layer in model.layers] == [2, 2, 1]
    assert [len(layer.W[0]) for layer in model.layers] == [1, 2, 2]


def test_weight_layout_is_w_j_k_from_input_k_to_neuron_j():
    layer = nn.Layer(3, 2, activation="linear", seed=0)
    for j in range(2):
        for k in range(3):
            layer.W[j][k].data = 10.0 * j + k
        layer.b[j].data = 100.0 * (j + 1)
    x = [1.0, 2.0, 3.0]
    out = layer(x)
    # z_j = b_j + sum_k W[j][k] x_k
    assert [o.data for o in out] == [100.0 + 0 + 2 + 6, 200.0 + 10 + 22 + 36]


def test_named_parameters_names_order_and_labels():
    model = nn.MLP(2, [3, 1], seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names[:7] == ["layers.0.W[0][0]", "layers.0.W[0][1]", "layers.0.W[1][0]", "layers.0.W[1][1]",
                         "layers.0.W[2][0]", "layers.0.W[2][1]", "layers.0.b[0]"]
    assert names[-4:] == ["layers.1.W[0][0]", "layers.1.W[0][1]", "layers.1.W[0][2]", "layers.1.b[0]"]
    assert len(names) == len(set(names)) == 13
    for name, p in model.named_parameters():
        assert p.label == name
    assert model.layers[1].W[0][2].label == "layers.1.W[0][2]"
    assert model.parameters() == [p for _, p in model.named_parameters()]
    # stable: the same objects in the same order on every call
    assert model.parameters() == model.parameters()


def test_weights_leave_biases_out():
    model = nn.MLP(2, [3, 1], seed=0)
    weights = model.weights()
    assert len(weights) == 2 * 3 + 3 * 1
    assert all("W[" in w.label for w in weights)
    neuron = nn.Neuron(3, seed=0)
    assert neuron.weights() == neuron.w


def test_a_call_returns_a_list_or_the_single_output_itself_as_micrograd():
    # micrograd 0.1.0: Neuron returns a Value, Layer `out[0] if len(out) == 1 else out`, MLP the last layer's result
    assert isinstance(nn.Neuron(2, seed=0)([1.0, 2.0]), Value)
    assert isinstance(nn.Layer(2, 1, seed=0)([1.0, 2.0]), Value)
    assert isinstance(nn.MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    assert isinstance(nn.MLP(2, [4, 1], seed=0, output_activation="softmax")([1.0, 2.0]), Value)
    for out, n in ((nn.Layer(2, 3, seed=0)([1.0, 2.0]), 3), (nn.MLP(2, [4, 3], seed=0)([1.0, 2.0]), 3),
                   (nn.MLP(2, [4, 2], seed=0, output_activation="softmax")([1.0, 2.0]), 2)):
        assert isinstance(out, list) and len(out) == n and all(isinstance(v, Value) for v in out)


def test_a_hidden_layer_of_one_neuron_still_feeds_the_next_layer():
    model = nn.MLP(2, [1, 3, 1], activation="tanh", seed=0)  # micrograd would pass the next layer a bare Value
    out = model([0.5, -1.0])
    h = model.layers[0].W[0][0].data * 0.5 + model.layers[0].W[0][1].data * -1.0 + model.layers[0].b[0].data
    assert isinstance(out, Value)
    assert model.layers[1]([math.tanh(h)])[0].data == pytest.approx(math.tanh(
        model.layers[1].b[0].data + model.layers[1].W[0][0].data * math.tanh(h)), rel=1e-15)


def test_predict_has_the_form_of_the_call():
    for model in (nn.Neuron(2, seed=0), nn.Layer(2, 1, seed=0), nn.MLP(2, [3, 1], seed=0)):
        out, floats = model([0.1, 0.2]), model.predict([0.1, 0.2])
        assert type(floats) is float and floats == out.data
    for model in (nn.Layer(2, 3, seed=0), nn.MLP(2, [3, 2], seed=0)):
        out, floats = model([0.1, 0.2]), model.predict([0.1, 0.2])
        assert all(type(f) is float for f in floats) and floats == [v.data for v in out]


def test_neuron_is_one_affine_node():
    # b + Σ w x as ONE node over (b, w0, w1, w2, x0, x1, x2): no product nodes at all
    model = nn.MLP(3, [2], activation="tanh", output_activation="linear", seed=0)
    z = model([1.0, 2.0, 3.0])[0]  # two outputs: a list
    layer = model.layers[0]
    assert z.op == "affine"
    assert z.parents[0] is layer.b[0] and list(z.parents[1:4]) == list(layer.W[0])
    assert [p.data for p in z.parents[4:]] == [1.0, 2.0, 3.0]
    want = layer.b[0].data + sum(w.data * x for w, x in zip(layer.W[0], [1.0, 2.0, 3.0]))
    assert math.isclose(z.data, want, rel_tol=1e-15)


def test_scopes_cluster_values_by_layer():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    out = model([0.5, -1.0])
    order = ag.topological_order(out)
    interior = [v for v in order if not v.is_leaf]
    assert {v.scope for v in interior} == {"layers.0", "layers.1"}
    assert out.scope == "layers.1"
    # parameters are made in their layer's and neuron's scope, so drawings cluster them with their layer
    assert [p.scope for p in model.layers[0].W[1]] == ["layers.0/neuron1"] * 2
    assert model.layers[1].b[0].scope == "layers.1/neuron0"
    assert ag.current_scope() is None


def test_neuron_scopes_and_no_scopes():
    model = nn.MLP(2, [3, 1], seed=0, scopes="neuron")
    out = model([0.5, -1.0])
    scopes = {v.scope for v in ag.topological_order(out) if not v.is_leaf}
    assert scopes == {"layers.0/neuron0", "layers.0/neuron1", "layers.0/neuron2", "layers.1/neuron0"}
    plain = nn.MLP(2, [3, 1], seed=0, scopes="none")
    assert all(v.scope is None for v in ag.topological_order(plain([0.5, -1.0])))
    assert plain([0.5, -1.0]).data == out.data


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_matches_the_op(name):
    layer = nn.Layer(2, 3, activation=name, seed=1)
    for j in range(3):
        layer.b[j].data = 0.3 * j - 0.4
    x = [0.7, -1.3]
    out = layer(x)
    for j in range(3):
        z = layer.b[j].data + layer.W[j][0].data * x[0] + layer.W[j][1].data * x[1]
        expected = z if name == "linear" else getattr(ag, name)(z) if name != "abs" else abs(z)
        assert out[j].data == pytest.approx(expected, rel=1e-15, abs=1e-15)
        if name != "linear":
            assert out[j].op == name


def test_activations_cover_the_op_tables_activations():
    # the table's unary ops defined on every real, minus plain negation, are all offered
    offered = set(ACTIVATIONS)
    for name, op in ag.OPS.items():
        if op.builtin and op.arity == 1 and name not in ("neg", "exp", "log", "sqrt", "pow", "rpow"):
            assert name in offered, name


def test_softmax_output_layer():
    model = nn.MLP(2, [4, 3], output_activation="softmax", seed=0)
    probs = model([0.2, -0.4])
    assert math.fsum(p.data for p in probs) == pytest.approx(1.0, abs=1e-15)
    assert all(0 < p.data < 1 for p in probs)


def test_same_seed_same_weights_and_global_random_untouched():
    random.seed(123)
    state = random.getstate()
    a = nn.MLP(3, [5, 2], seed=42)
    b = nn.MLP(3, [5, 2], seed=42)
    nn.MLP(3, [5, 2])  # seed=None draws fresh entropy, still without the global state
    nn.Layer(3, 4, seed=7)
    nn.Neuron(3, seed=7)
    assert random.getstate() == state
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    c = nn.MLP(3, [5, 2], seed=43)
    assert [p.data for p in a.parameters()] != [p.data for p in c.parameters()]


@pytest.mark.parametrize("init", INITS)
def test_init_schemes_bounds_and_never_all_zero(init):
    model = nn.MLP(4, [6, 3], init=init, seed=5)
    for layer in model.layers:
        fan_in, fan_out = layer.nin, layer.nout
        bound = {"xavier": math.sqrt(6 / (fan_in + fan_out)), "he": math.sqrt(6 / fan_in), "uniform": 1.0}[init]
        ws = [w.data for row in layer.W for w in row]
        assert all(-bound <= w <= bound for w in ws)
        assert any(w != 0.0 for w in ws)
        assert max(abs(w) for w in ws) > bound / 10
        assert all(b.data == 0.0 for b in layer.b)


def test_per_layer_activations():
    model = nn.MLP(2, [3, 3, 1], activation=["relu", "sigmoid"], output_activation="sigmoid", seed=0)
    assert [layer.activation for layer in model.layers] == ["relu", "sigmoid", "sigmoid"]
    with pytest.raises(ValueError, match="list of 2 names"):
        nn.MLP(2, [3, 3, 1], activation=["relu"])


def test_wrong_input_length_names_expected_and_given():
    model = nn.MLP(3, [2, 1], seed=0)
    with pytest.raises(ValueError, match="expected an input of length 3, got length 2"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match="expected an input of length 3, got length 4"):
        nn.Layer(3, 2, seed=0)([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="expected an input of length 2, got length 1"):
        nn.Neuron(2, seed=0)([1.0])
    with pytest.raises(TypeError, match="wrap a single number in a list"):
        nn.MLP(1, [1], seed=0)(0.5)
    with pytest.raises(TypeError, match=r"MLP: input\[1\] must be a number or a Value, got str 'a'"):
        model([1.0, "a", 2.0])
    with pytest.raises(TypeError, match=r"Layer: input\[0\] must be a number or a Value, got bool"):
        nn.Layer(1, 1, seed=0)([True])


@pytest.mark.parametrize("kwargs, message", [
    ({"activation": "swish"}, "unknown activation 'swish'; valid: linear, sigmoid, tanh, relu"),
    ({"output_activation": "softmax2"}, "unknown output_activation 'softmax2'; valid: .*softmax"),
    ({"init": "zeros"}, "unknown init 'zeros'; valid: xavier, he, uniform"),
    ({"scopes": "all"}, "unknown scopes 'all'; valid: layer, neuron, none"),
])
def test_unknown_names_list_the_valid_ones(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.MLP(2, [3, 1], **kwargs)


def test_hidden_softmax_is_rejected_and_lists_valid():
    with pytest.raises(ValueError, match="valid: linear"):
        nn.MLP(2, [3, 1], activation="softmax")
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Neuron(2, activation="softmax")


@pytest.mark.parametrize("args, error", [
    ((0, [1]), ValueError),
    ((2, []), TypeError),
    ((2, [0]), ValueError),
    ((2, [1.5]), TypeError),
    ((True, [1]), TypeError),
    ((2, "3"), TypeError),
])
def test_bad_sizes(args, error):
    with pytest.raises(error, match="MLP"):
        nn.MLP(*args)


def test_bad_seed_and_layer_name():
    with pytest.raises(TypeError, match="seed must be an int"):
        nn.MLP(2, [1], seed="x")
    with pytest.raises(ValueError, match="without '/'"):
        nn.Layer(2, 1, name="a/b")


def test_output_activations_constant():
    assert OUTPUT_ACTIVATIONS == ACTIVATIONS + ("softmax",)
    assert nn.layers.activation_function("linear") is None
    assert nn.layers.activation_function("tanh")(Value(0.5)).data == math.tanh(0.5)


def test_layer_neurons_are_views_sharing_parameters():
    layer = nn.Layer(2, 3, activation="tanh", seed=0)
    neurons = layer.neurons
    assert len(neurons) == 3
    assert neurons[1].w[0] is layer.W[1][0] and neurons[1].b is layer.b[1]
    x = [0.3, -0.2]
    assert neurons[2](x).data == layer(x)[2].data


def test_predict_returns_floats_without_graph():
    model = nn.MLP(2, [3, 2], seed=0)
    out = model.predict([0.1, 0.2])
    assert all(type(v) is float for v in out)
    assert out == [v.data for v in model([0.1, 0.2])]


def test_zero_grad():
    model = nn.MLP(2, [3, 1], seed=0)
    model([1.0, 1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    model.zero_grad(set_to_none=True)  # PyTorch's way: backward then accumulates from 0
    assert all(p.grad is None for p in model.parameters())
    model([1.0, 1.0]).backward()
    assert all(type(p.grad) is float for p in model.parameters())


def test_reprs():
    assert repr(nn.MLP(2, [3, 1], activation="relu")) == \
        "MLP(2, [3, 1], activation='relu', output_activation='linear')"
    assert repr(nn.Layer(2, 3)) == "Layer(2, 3, activation='tanh')"
    assert repr(nn.Neuron(2, "relu")) == "Neuron(2, activation='relu')"


# ---------------------------------------------------------------------------------------------------------------
# fault: a dict or a set used to be accepted as input (a dict's keys silently became the inputs)
# ---------------------------------------------------------------------------------------------------------------
def _models():
    return [nn.MLP(2, [3, 1], seed=0), nn.Layer(2, 3, seed=0), nn.Neuron(2, seed=0)]


@pytest.mark.parametrize("bad, given, fix", [
    ({0.5: "a", -1.0: "b"}, "dict", "a dict's keys are not inputs"),
    ({1.0: 0.5, 2.0: -1.0}, "dict", "pass its values as a list"),
    ({0.5, -1.0}, "set", "a set has no order"),
    (frozenset({0.5, -1.0}), "frozenset", "a set has no order"),
    ("ab", "str", "convert the text to numbers"),
    (b"ab", "bytes", "convert the text to numbers"),
    ((x for x in (0.5, -1.0)), "generator", r"list\(\.\.\.\)"),
    (iter([0.5, -1.0]), "list_iterator", r"list\(\.\.\.\)"),
    (0.5, "float", "wrap a single number in a list"),
])
def test_inputs_must_be_a_sequence_not_a_dict_or_set(bad, given, fix):
    for model in _models():
        where = type(model).__name__
        with pytest.raises(TypeError, match=rf"^{where}: input must be a sequence of 2 numbers or Values .*got "
                                            rf"{given} .*{fix}"):
            model(bad)
        with pytest.raises(TypeError, match=where):
            model.predict(bad)


def test_inputs_accept_lists_tuples_and_1d_arrays_alike():
    np = pytest.importorskip("numpy")
    for model in _models():
        expected = model.predict([0.5, -1.0])
        assert model.predict((0.5, -1.0)) == expected
        assert model.predict(np.array([0.5, -1.0])) == pytest.approx(expected, rel=1e-15, abs=0.0)
        assert model.predict([Value(0.5), np.float64(-1.0)]) == pytest.approx(expected, rel=1e-15, abs=0.0)


@pytest.mark.parametrize("shape, fix", [((1, 2), "a 2-D array holds several inputs"), ((), "wrap a single number")])
def test_arrays_of_another_rank_are_rejected(shape, fix):
    np = pytest.importorskip("numpy")
    for model in _models():
        with pytest.raises(TypeError, match=rf"{type(model).__name__}: input must be .*got ndarray .*{fix}"):
            model(np.zeros(shape))


def test_delta_forward_rejects_a_dict_too():
    with pytest.raises(TypeError, match="nn.delta.forward: .*got dict"):
        nn.delta.forward(nn.MLP(2, [1], seed=0), {0.5: 1, -1.0: 2})


# ---------------------------------------------------------------------------------------------------------------
# "what layers does this model have", in one place: Module.dense_layers and the from_config registry
# ---------------------------------------------------------------------------------------------------------------
def test_dense_layers_share_the_models_values_and_name_its_tensors():
    mlp = nn.MLP(2, [3, 1], activation="relu", output_activation="sigmoid", seed=0)
    dense = mlp.dense_layers()
    assert [d.activation for d in dense] == ["relu", "sigmoid"]
    assert [d.names for d in dense] == [("layers.0.W", "layers.0.b"), ("layers.1.W", "layers.1.b")]
    assert all(d.W is layer.W and d.b is layer.b for d, layer in zip(dense, mlp.layers))
    (only,) = nn.Layer(2, 3, activation="tanh", seed=0).dense_layers()
    assert only.names == ("W", "b") and only.activation == "tanh"
    neuron = nn.Neuron(2, activation="sin", seed=0)
    (d,) = neuron.dense_layers()
    assert d.W == [neuron.w] and d.b == [neuron.b] and d.names == ("w", "b") and d.activation == "sin"
    for model in (mlp, neuron):
        assert {n for d in model.dense_layers() for n in d.names} == set(model.state_dict())


def test_the_loader_registry_holds_each_class_once():
    assert list(nn.module.MODEL_TYPES) == ["Neuron", "Layer", "MLP"]
    for cls in (nn.Neuron, nn.Layer, nn.MLP):
        assert nn.module.MODEL_TYPES[cls.__name__] == cls.from_config
        model = cls(2, 3, seed=1) if cls is nn.Layer else cls(2, [3, 1], seed=1) if cls is nn.MLP else cls(2, seed=1)
        rebuilt = nn.module.model_from_config(model.config(), model.state_dict())
        assert type(rebuilt) is cls and rebuilt.config() == model.config()
    with pytest.raises(TypeError, match="has no from_config"):
        nn.module.register_model(int)


def test_a_module_without_dense_layers_is_refused_by_delta_and_export():
    class Constant(nn.Module):
        def __call__(self, x):
            return [Value(1.0)]

        def named_tensors(self):
            return []

        def config(self):
            return {"class": "Constant"}

    for call in (lambda: nn.delta.network(Constant()), lambda: Constant().to_torch()):
        with pytest.raises(TypeError, match="Constant does not list dense layers"):
            call()


def test_delta_export_and_loader_have_no_isinstance_chains_on_model_kinds():
    import ast
    import pathlib

    root = pathlib.Path(nn.__file__).parent
    for name in ("delta.py", "export.py", "module.py"):
        for node in ast.walk(ast.parse((root / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                kinds = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                assert not kinds & {"MLP", "Layer", "Neuron"}, f"{name}:{node.lineno} asks for a model kind"
