"""nn.module: state_dict, load_state_dict, JSON save/load (atomic) and a table of corrupt or hostile files."""

import json
import math
import os

import pytest

import nn
from nn.module import FILE_FORMAT, ModelFileError


def _model():
    model = nn.MLP(2, [3, 2], activation=["relu"], output_activation="softmax", seed=3)
    for i, p in enumerate(model.parameters()):
        p.data = 0.1 * i - 0.7
    return model


def _document(model=None):
    model = model or _model()
    return {"format": FILE_FORMAT, "version": 1, "model": model.config(), "state": model.state_dict()}


def test_state_dict_shapes_and_values():
    model = _model()
    state = model.state_dict()
    assert list(state) == ["layers.0.W", "layers.0.b", "layers.1.W", "layers.1.b"]
    assert [len(state["layers.0.W"]), len(state["layers.0.W"][0])] == [3, 2]
    assert len(state["layers.0.b"]) == 3
    assert state["layers.1.W"][1][2] == model.layers[1].W[1][2].data
    neuron_state = nn.Neuron(2, seed=0).state_dict()
    assert isinstance(neuron_state["w"], list) and isinstance(neuron_state["b"], float)


def test_load_state_dict_round_trip():
    a, b = _model(), nn.MLP(2, [3, 2], activation="relu", output_activation="softmax", seed=99)
    b.load_state_dict(a.state_dict())
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert b([0.3, 0.4])[1].data == a([0.3, 0.4])[1].data


def test_load_state_dict_errors_name_missing_and_extra():
    model = _model()
    state = model.state_dict()
    del state["layers.1.b"]
    state["layers.2.W"] = [[0.0]]
    with pytest.raises(ModelFileError, match=r"missing \['layers.1.b'\], unexpected \['layers.2.W'\]"):
        model.load_state_dict(state)


@pytest.mark.parametrize("mutate, message", [
    (lambda s: s.__setitem__("layers.0.W", [[0.0, 0.0]] * 2), "expected 3 rows of 2 numbers"),
    (lambda s: s.__setitem__("layers.0.b", [0.0, 0.0]), "expected a list of 3 numbers"),
    (lambda s: s["layers.0.W"].__setitem__(1, [0.0, 0.0, 0.0]), r"\[1\]: expected a list of 2 numbers"),
    (lambda s: s["layers.0.b"].__setitem__(0, "x"), "must be a number, got str"),
    (lambda s: s["layers.0.b"].__setitem__(0, True), "must be a number, got bool"),
    (lambda s: s["layers.0.b"].__setitem__(0, float("nan")), "must be finite"),
    (lambda s: s["layers.1.W"][0].__setitem__(0, float("inf")), "must be finite"),
])
def test_load_state_dict_validates_before_writing(mutate, message):
    model = _model()
    before = [p.data for p in model.parameters()]
    state = nn.MLP(2, [3, 2], activation="relu", output_activation="softmax", seed=1).state_dict()
    mutate(state)
    with pytest.raises(ModelFileError, match=message):
        model.load_state_dict(state)
    assert [p.data for p in model.parameters()] == before  # nothing half-loaded


def test_load_state_dict_needs_a_dict():
    with pytest.raises(ModelFileError, match="state must be a dict of tensors"):
        _model().load_state_dict([1, 2])


@pytest.mark.parametrize("make", [
    lambda: _model(),
    lambda: nn.MLP(1, [2, 2, 1], activation="sigmoid", seed=0, scopes="none"),
    lambda: nn.Layer(3, 2, activation="elu", init="he", seed=4, name="hidden"),
    lambda: nn.Neuron(3, activation="leaky_relu", init="uniform", seed=None),
])
def test_save_load_round_trip(tmp_path, make):
    model = make()
    path = tmp_path / "model.json"
    model.save(path)
    loaded = nn.load(path)
    assert type(loaded) is type(model)
    assert loaded.config() == model.config()
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    assert [n for n, _ in loaded.named_parameters()] == [n for n, _ in model.named_parameters()]
    x = [0.25] * model.nin
    assert loaded.predict(x) == model.predict(x)
    assert type(model).load(path).config() == model.config()
    assert [f for f in os.listdir(tmp_path)] == ["model.json"]  # no temporary file left


def test_saved_file_is_plain_json(tmp_path):
    path = tmp_path / "m.json"
    _model().save(str(path))
    document = json.loads(path.read_text())
    assert document["format"] == FILE_FORMAT and document["version"] == 1
    assert document["model"]["class"] == "MLP"


def test_class_load_checks_the_class(tmp_path):
    path = tmp_path / "m.json"
    nn.Neuron(2, seed=0).save(path)
    with pytest.raises(ModelFileError, match="holds a Neuron, not a MLP"):
        nn.MLP.load(path)
    assert isinstance(nn.Module.load(path), nn.Neuron)


def test_save_refuses_nan_and_keeps_old_file(tmp_path):
    path = tmp_path / "m.json"
    model = _model()
    model.save(path)
    old = path.read_bytes()
    model.layers[0].W[1][0].data = math.nan
    with pytest.raises(ValueError, match=r"layers.0.W\[1\]\[0\] is nan"):
        model.save(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.json"]


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    _model().save(path)
    old = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        nn.MLP(2, [5, 1], seed=0).save(path)
    assert path.read_bytes() == old
    assert os.listdir(tmp_path) == ["m.json"]


def _good_text():
    return json.dumps(_document())


def _with(change):
    document = _document()
    change(document)
    return json.dumps(document)


CORRUPT = [
    ("empty file", "", "not valid JSON"),
    ("truncated", _good_text()[: len(_good_text()) // 2], "not valid JSON"),
    ("not utf-8", b"\xff\xfe{}", "not a UTF-8"),
    ("top level list", "[1, 2, 3]", "top level must be a JSON object, got list"),
    ("top level string", '"model"', "top level must be a JSON object, got str"),
    ("top level null", "null", "top level must be a JSON object"),
    ("NaN weight", _good_text().replace(str(_document()["state"]["layers.0.b"][0]), "NaN", 1), "NaN is not allowed"),
    ("Infinity weight", _good_text().replace(str(_document()["state"]["layers.0.b"][0]), "Infinity", 1),
     "Infinity is not allowed"),
    ("huge nesting", "[" * 100_000 + "]" * 100_000, "nesting too deep"),
    ("duplicate key", '{"format": 1, "format": 2}', "duplicate key 'format'"),
    ("missing state", _with(lambda d: d.pop("state")), r"missing \['state'\]"),
    ("extra key", _with(lambda d: d.__setitem__("code", "import os")), r"unexpected \['code'\]"),
    ("wrong format", _with(lambda d: d.__setitem__("format", "pickle")), "format is 'pickle'"),
    ("wrong version", _with(lambda d: d.__setitem__("version", 2)), "unsupported version 2"),
    ("version as string", _with(lambda d: d.__setitem__("version", "1")), "unsupported version '1'"),
    ("unknown class", _with(lambda d: d["model"].__setitem__("class", "os.system")), "unknown class 'os.system'"),
    ("config not object", _with(lambda d: d.__setitem__("model", [1])), "model config must be a JSON object"),
    ("extra config key", _with(lambda d: d["model"].__setitem__("x", 1)), r"unexpected \['x'\]"),
    ("missing config key", _with(lambda d: d["model"].pop("init")), r"missing \['init'\]"),
    ("bad activation", _with(lambda d: d["model"].__setitem__("activation", ["gelu"])), "activation must be one of"),
    ("bad nin type", _with(lambda d: d["model"].__setitem__("nin", "2")), "nin must be an int"),
    ("nin bool", _with(lambda d: d["model"].__setitem__("nin", True)), "nin must be an int"),
    ("huge layer", _with(lambda d: d["model"].__setitem__("nouts", [10**9, 2])), r"nouts\[0\] must be an int"),
    ("config/state mismatch", _with(lambda d: d["model"].__setitem__("nouts", [4, 2])), "expected 4 rows"),
    ("state not object", _with(lambda d: d.__setitem__("state", [])), "state must be a dict of tensors"),
    ("missing tensor", _with(lambda d: d["state"].pop("layers.1.b")), r"missing \['layers.1.b'\]"),
    ("extra tensor", _with(lambda d: d["state"].__setitem__("layers.9.W", [[1.0]])), r"unexpected \['layers.9.W'\]"),
    ("wrong shape", _with(lambda d: d["state"].__setitem__("layers.0.b", [1.0])), "expected a list of 3 numbers"),
    ("string weight", _with(lambda d: d["state"]["layers.1.W"][0].__setitem__(1, "0.5")), "must be a number, got str"),
    ("bool weight", _with(lambda d: d["state"]["layers.1.b"].__setitem__(0, False)), "must be a number, got bool"),
    ("null weight", _with(lambda d: d["state"]["layers.1.b"].__setitem__(0, None)), "must be a number, got NoneType"),
    ("nested weight", _with(lambda d: d["state"]["layers.1.b"].__setitem__(0, [[1.0]])), "must be a number, got list"),
    ("overflowing number", _with(lambda d: d["state"]["layers.1.b"].__setitem__(1, 1.0)).replace("1.0]", "1e999]"),
     "must be finite"),
    ("huge integer weight", _with(lambda d: d["state"]["layers.1.b"].__setitem__(1, 1.0))
     .replace("1.0]", "1" + "0" * 400 + "]"), "must be finite"),
    ("integer beyond the digit limit", _with(lambda d: d["state"]["layers.1.b"].__setitem__(1, 1.0))
     .replace("1.0]", "1" * 5000 + "]"), "not valid JSON"),
    ("seed as float", _with(lambda d: d["model"].__setitem__("seed", 1.5)), "seed must be an int or null"),
]


@pytest.mark.parametrize("case, content, message", CORRUPT, ids=[c[0] for c in CORRUPT])
def test_corrupt_or_hostile_files_are_rejected(tmp_path, case, content, message):
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelFileError, match=message) as info:
        nn.load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_oversized_file_is_rejected_before_reading(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(_good_text() + " " * 2000)
    with pytest.raises(ModelFileError, match="more than max_bytes=1000"):
        nn.load(path, max_bytes=1000)
    assert isinstance(nn.load(path), nn.MLP)


def test_good_document_loads():
    # the fixture used by the corrupt-file table is itself valid
    assert json.loads(_good_text())["model"]["class"] == "MLP"


def test_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "nope.json")


def test_nn_uses_only_the_public_autograd_core_api():
    import ast
    import importlib
    import pathlib

    import autograd_core

    public = set(autograd_core.__all__)
    for path in sorted((pathlib.Path(nn.__file__).parent).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograd_core"):
                # the package's public names, or the public names (__all__) of a public module such as
                # autograd_core.files (atomic_write)
                parts = node.module.split(".")
                assert parts[0] == "autograd_core" and len(parts) <= 2, f"{path.name} imports from {node.module}"
                assert not any(p.startswith("_") for p in parts), f"{path.name} imports from {node.module}"
                names = set(importlib.import_module(node.module).__all__)
                assert {a.name for a in node.names} <= names, f"{path.name}: {[a.name for a in node.names]}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    assert a.name == "autograd_core" or not a.name.startswith("autograd_core"), path.name
                    if a.name == "autograd_core":
                        aliases.add(a.asname or a.name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
                assert node.attr in public, f"{path.name} uses autograd_core.{node.attr}"


# ---------------------------------------------------------------------------------------------------------------
# structure: nn is built in floors, and no module reaches into another's private names
# ---------------------------------------------------------------------------------------------------------------
# grading (the teacher's kit for hand-written backprop) sits on delta
FLOORS = [{"activations", "data"}, {"export"}, {"module"}, {"losses", "optim"}, {"layers"}, {"train"}, {"delta"},
          {"grading", "diagram"}, {"explore"}]


def _nn_imports():
    """{module: [(line, imported nn module, imported names)]} for every import in nn, inside functions too."""
    import ast
    import pathlib

    root = pathlib.Path(nn.__file__).parent
    modules = {p.stem for p in root.glob("*.py")} - {"__init__"}
    found = {}
    for name in modules:
        edges = found.setdefault(name, [])
        for node in ast.walk(ast.parse((root / f"{name}.py").read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.level == 1 or (node.module or "").startswith("nn")):
                target = (node.module or "").removeprefix("nn").lstrip(".")
                names = [a.name for a in node.names]
                for t in [target] if target else [n for n in names if n in modules]:
                    edges.append((node.lineno, t, names))
            elif isinstance(node, ast.Import):
                edges += [(node.lineno, a.name.split(".")[1], []) for a in node.names if a.name.startswith("nn.")]
    return modules, found


def test_nn_modules_import_only_from_lower_floors():
    modules, imports = _nn_imports()
    assert set().union(*FLOORS) == modules, "every nn module needs a floor"
    floor = {m: i for i, members in enumerate(FLOORS) for m in members}
    for source, edges in imports.items():
        for line, target, _ in edges:
            assert floor[target] < floor[source], f"nn/{source}.py:{line} imports nn.{target} (not a lower floor)"


def test_nn_modules_import_no_private_names_of_each_other():
    _, imports = _nn_imports()
    for source, edges in imports.items():
        for line, target, names in edges:
            private = [n for n in names if n.startswith("_")]
            assert not private, f"nn/{source}.py:{line} imports {private} from nn.{target}"
