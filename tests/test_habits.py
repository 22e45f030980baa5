"""PyTorch habits on Value, pickling and copying graphs, and the package's face (docstring, dir, __all__).

* numbers out: ``f"{v:.3f}"``, ``round(v, 2)``, ``round(v)``, ``int(v)``, ``v.item()``;
* ``backward(gradient=...)`` as PyTorch names the seed; ``v.grad = None`` (``set_to_none``) counts as zero;
* ``pickle`` and ``copy.deepcopy`` of graphs: any depth, shared nodes stay shared, ops come back as table entries;
* ``autograd_core``: a docstring with an example (shown by ``help``), ``dir()`` listing the public API only.
"""

from __future__ import annotations

import copy
import doctest
import math
import pickle
import pydoc
import subprocess
import sys

import pytest

import autograd_core as ag
import nn
from autograd_core import OPS, Value

CHAIN = 10_000  # nodes: ten times Python's default recursion limit


# ---------------------------------------------------------------------------------------------------------------
# numbers out
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", [".3f", ".2e", "10.4g", "+.1f", "", ">20", ",.2f", "%"])
def test_a_format_spec_applies_to_the_data(spec):
    v = Value(1234.56789) * 1.0
    expected = repr(v) if spec == "" else format(v.data, spec)
    assert format(v, spec) == f"{v:{spec}}" == expected


def test_format_examples():
    v = Value(2.0 / 3.0, label="p")
    assert f"{v:.3f}" == "0.667"
    assert f"loss {v:.2e}" == "loss 6.67e-01"
    assert f"{v}" == str(v) == repr(v) == "Value(data=0.6666666666666666, grad=0.0, label='p')"


def test_a_format_spec_that_a_float_refuses_names_the_value_and_the_fix():
    with pytest.raises(ValueError, match=r"format\(Value, 'd'\): the spec applies to the Value's data, the float 2\.5 "
                                         r".*use a float spec such as '\.3f'"):
        f"{Value(2.5):d}"


@pytest.mark.parametrize("x", [2.567, -2.567, 2.5, 3.5, -0.5, 1234.5678, 1e-9, 0.0])
def test_round_is_rounds_of_the_data(x):
    v = Value(x) + 0.0
    assert round(v) == round(x) and type(round(v)) is int
    for n in (0, 1, 2, -1):
        assert round(v, n) == round(x, n) and type(round(v, n)) is float
    assert round(Value(2.567), 2) == 2.57


def test_int_and_item():
    assert int(Value(-2.7)) == -2 and type(int(Value(2.7))) is int
    assert int(Value(3.0) * 2) == 6
    v = Value(0.1) + 0.2
    assert v.item() == v.data == 0.30000000000000004 and type(v.item()) is float
    with pytest.raises(ValueError):
        int(Value(math.nan))  # like int(float("nan"))
    with pytest.raises(OverflowError):
        round(Value(math.inf))


def test_numbers_out_record_nothing():
    x = Value(1.5)
    y = x * 2
    for f in (float, int, round, lambda v: round(v, 1), lambda v: v.item(), lambda v: f"{v:.2f}"):
        f(y)
    assert len(y.parents) == 2 and y.op == "mul" and all(p.is_leaf for p in y.parents)
    y.backward()
    assert x.grad == 2.0


# ---------------------------------------------------------------------------------------------------------------
# backward(gradient=...) and grad = None
# ---------------------------------------------------------------------------------------------------------------
def _cube():
    x = Value(3.0, label="x")
    return x, x * x * x


@pytest.mark.parametrize("call", [lambda y: y.backward(2.0), lambda y: y.backward(grad=2.0),
                                  lambda y: y.backward(gradient=2.0), lambda y: y.backward(gradient=2),
                                  lambda y: y.backward(gradient=Value(2.0))],
                         ids=["positional", "grad", "gradient", "gradient int", "gradient Value"])
def test_gradient_is_pytorchs_name_for_the_seed(call):
    x, y = _cube()
    call(y)
    assert x.grad == pytest.approx(2.0 * 27.0, rel=1e-15)  # seed * 3 x^2


def test_the_default_seed_is_one():
    for call in (lambda y: y.backward(), lambda y: y.backward(None), lambda y: y.backward(gradient=None)):
        x, y = _cube()
        call(y)
        assert x.grad == pytest.approx(27.0, rel=1e-15)


def test_grad_and_gradient_together_is_a_type_error():
    x, y = _cube()
    with pytest.raises(TypeError, match=r"backward: got both grad=1\.0 and gradient=2\.0; .*pass only one"):
        y.backward(1.0, gradient=2.0)
    assert x.grad == 0.0  # nothing ran


@pytest.mark.parametrize("kw", ["grad", "gradient"])
def test_a_bad_seed_names_the_argument(kw):
    x, y = _cube()
    with pytest.raises(TypeError, match=rf"backward\({kw}=\.\.\.\): expected a real number"):
        y.backward(**{kw: "1"})


def test_a_leaf_grad_set_to_none_accumulates_from_zero():
    x, y = _cube()
    y.backward()
    x.grad = None  # PyTorch's set_to_none
    y.backward()
    assert x.grad == pytest.approx(27.0, rel=1e-15)
    leaf = Value(2.0)
    leaf.grad = None
    leaf.backward(gradient=3.0)  # a leaf root
    assert leaf.grad == 3.0


def test_set_to_none_with_models_and_optimizers():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    opt.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in model.parameters())
    model([0.5, -1.0]).backward()
    assert all(type(p.grad) is float for p in model.parameters())
    model.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("make", [lambda ps: nn.SGD(ps, lr=0.1), lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: nn.SGD(ps, lr=0.1, weight_decay=0.1), lambda ps: nn.Adam(ps, lr=0.1),
                                  lambda ps: nn.Adam(ps, lr=0.1, weight_decay=0.1)],
                         ids=["sgd", "momentum", "decay", "adam", "adam decay"])
def test_optimizers_skip_a_parameter_whose_grad_is_none(make):
    # as torch.optim does: no gradient reached it, so it is neither updated nor decayed
    used, unused = Value(1.0), Value(1.0)
    opt = make([used, unused])
    for _ in range(2):
        opt.zero_grad(set_to_none=True)
        (used * used).backward()
        opt.step()
    assert unused.grad is None and unused.data == 1.0
    assert used.data < 1.0


def test_clipping_leaves_none_grads_alone():
    a, b, c = Value(1.0), Value(1.0), Value(1.0)
    a.grad, b.grad, c.grad = 3.0, 4.0, None
    assert nn.clip_grad_norm([a, b, c], 1.0) == pytest.approx(5.0, rel=1e-15)
    assert (a.grad, b.grad, c.grad) == (pytest.approx(0.6, rel=1e-15), pytest.approx(0.8, rel=1e-15), None)
    nn.clip_grad_value([a, b, c], 0.7)
    assert (a.grad, b.grad, c.grad) == (pytest.approx(0.6, rel=1e-15), 0.7, None)
    c.grad = None
    assert nn.clip_grad_norm([c], 1.0) == 0.0


# ---------------------------------------------------------------------------------------------------------------
# pickle and copy
# ---------------------------------------------------------------------------------------------------------------
def _diamond():
    a = Value(2.0, label="a")
    b = a * a  # a twice
    c = b.tanh() + b.exp()  # b twice
    d = ag.sum([c, b, a], start=0.5).leaky_relu(0.2)
    return a, d


def _same_graph(x, y) -> None:
    ox, oy = ag.topological_order(x), ag.topological_order(y)
    assert len(ox) == len(oy)
    index = {v: i for i, v in enumerate(oy)}
    for u, v in zip(ox, oy):
        assert v is not u
        assert (u.data, u.grad, u.label, u.arg, u.scope) == (v.data, v.grad, v.label, v.arg, v.scope)
        assert u.op_entry is v.op_entry  # the very same table entries
        assert [index.get(p) for p in v.parents] == [ox.index(p) for p in u.parents]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_round_trips_a_graph(protocol):
    a = Value(2.0, label="a")
    y = a * a
    z = pickle.loads(pickle.dumps(y, protocol=protocol))
    assert z.data == 4.0 and z.op_entry is OPS["mul"] and z.parents[0] is z.parents[1]  # still a * a
    _same_graph(y, z)
    _, d = _diamond()
    _same_graph(d, pickle.loads(pickle.dumps(d, protocol=protocol)))


def test_an_unpickled_graph_backpropagates_like_the_original():
    a, d = _diamond()
    with ag.scope("block"):
        e = d * 3.0
    e.grad = 0.25
    f = pickle.loads(pickle.dumps(e))
    assert f.scope == "block" and f.grad == 0.25
    e.backward()
    f.backward()
    leaf = [v for v in ag.topological_order(f) if v.label == "a"]
    assert len(leaf) == 1 and leaf[0].grad == a.grad  # bit for bit: the same graph, the same order


def test_values_pickled_together_share_their_nodes():
    x = Value(1.5, label="x")
    h = x.tanh()
    loss = h * h + x
    x2, h2, loss2 = pickle.loads(pickle.dumps((x, h, loss)))
    assert loss2.parents[0].parents == (h2, h2) and loss2.parents[1] is x2 and h2.parents == (x2,)
    loss3, x3 = pickle.loads(pickle.dumps((loss, x)))  # the other way round
    assert loss3.parents[1] is x3


def test_a_model_and_its_loss_pickle_together():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    loss = nn.losses.mse(model([0.5, -1.0]), 0.3)
    model2, loss2 = pickle.loads(pickle.dumps((model, loss)))
    params = set(model2.parameters())
    leaves = [v for v in ag.topological_order(loss2) if v.is_leaf and v.label.startswith("layers.")]
    assert len(leaves) == model.num_parameters() and all(v in params for v in leaves)
    loss.backward()
    loss2.backward()
    assert [p.grad for p in model2.parameters()] == [p.grad for p in model.parameters()]
    assert model2.predict([0.5, -1.0]) == model.predict([0.5, -1.0])


def _chain(n: int):
    x = Value(0.5, label="x")
    v = x
    for i in range(n):
        v = (v * 1.0001).tanh() if i % 2 else v + 0.1
    return x, v


def test_a_deep_chain_pickles_without_recursion_error():
    assert CHAIN > 5 * sys.getrecursionlimit()
    x, v = _chain(CHAIN)
    w = pickle.loads(pickle.dumps(v))
    assert w.data == v.data
    v.backward()
    w.backward()
    (x2,) = [n for n in ag.topological_order(w) if n.label == "x"]
    assert x2.grad == x.grad
    # a node inside the chain, pickled on its own afterwards, is a root in its turn (nothing left over)
    middle = v
    for _ in range(CHAIN // 2):
        middle = middle.parents[0]
    assert pickle.loads(pickle.dumps(middle)).data == middle.data


def test_a_deep_chain_deep_copies_without_recursion_error():
    x, v = _chain(CHAIN)
    w = copy.deepcopy(v)
    assert w.data == v.data and w is not v
    v.backward()
    w.backward()
    (x2,) = [n for n in ag.topological_order(w) if n.label == "x"]
    assert x2 is not x and x2.grad == x.grad


def test_deepcopy_copies_the_graph_and_keeps_sharing():
    a, d = _diamond()
    e = copy.deepcopy(d)
    _same_graph(d, e)
    y = a * a
    z = copy.deepcopy(y)
    assert z.parents[0] is z.parents[1] is not a
    assert copy.deepcopy(OPS["mul"]) is OPS["mul"] and copy.copy(OPS["mul"]) is OPS["mul"]


def test_deepcopy_of_a_model_with_its_loss():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0)
    loss = nn.losses.mse(model([0.5, -1.0]), 0.3)
    model2, loss2 = copy.deepcopy((model, loss))
    loss2.backward()
    assert all(p.grad == 0.0 for p in model.parameters())  # the original is untouched
    loss.backward()
    assert [p.grad for p in model2.parameters()] == [p.grad for p in model.parameters()]
    clone = copy.deepcopy(model)
    clone.parameters()[0].data += 1.0
    assert clone.predict([0.5, -1.0]) != model.predict([0.5, -1.0])


def test_copy_copy_makes_a_node_over_the_same_parents():
    a = Value(2.0)
    y = a * a
    y.grad = 0.5
    c = copy.copy(y)
    assert c is not y and c.parents == y.parents and c.parents[0] is a
    assert (c.data, c.grad, c.op_entry) == (y.data, y.grad, y.op_entry)


def test_custom_ops_pickle_by_name():
    op = ag.define_op("habits_cube", lambda x: x ** 3, [lambda x, out: 3 * x * x], replace=True)
    v = ag.apply(op, Value(2.0))
    w = pickle.loads(pickle.dumps(v))
    assert w.op_entry is op is OPS["habits_cube"] and w.data == 8.0
    w.backward()
    assert w.parents[0].grad == 12.0
    # redefined since the graph was built: the name now means another op, so pickling it would be a lie
    ag.define_op("habits_cube", lambda x: x ** 3, [lambda x, out: 3 * x * x], replace=True)
    with pytest.raises(pickle.PicklingError, match=r"op 'habits_cube' .*replaced .*define_op\(\.\.\., "
                                                   r"replace=True\).*rebuild the graph"):
        pickle.dumps(v)
    assert copy.deepcopy(v).op_entry is op  # copying needs no name: the copy keeps its op
    outside = ag.Op("habits_not_in_table", 1, lambda x, a=None: x, (None,))
    with pytest.raises(pickle.PicklingError, match=r"op 'habits_not_in_table' .*not in the op table.*define_op"):
        pickle.dumps(outside)


def test_a_failed_pickle_leaves_no_trace():
    op = ag.define_op("habits_square", lambda x: x * x, [lambda x, out: 2 * x], replace=True)
    x, v = _chain(CHAIN)
    bad = ag.apply(op, v)
    ag.define_op("habits_square", lambda x: x * x, [lambda x, out: 2 * x], replace=True)
    with pytest.raises(pickle.PicklingError):
        pickle.dumps(bad)  # refused before anything is written
    assert pickle.loads(pickle.dumps(v)).data == v.data  # and the chain still pickles at any depth


def test_a_graph_unpickles_in_a_fresh_process():
    a, d = _diamond()
    d.backward()
    data = pickle.dumps((a, d))
    code = ("import pickle, sys\n"
            "a, d = pickle.loads(sys.stdin.buffer.read())\n"
            "a.grad = None\n"
            "d.backward(gradient=2.0)\n"
            "print(repr(d.data), repr(a.grad), d.op_entry.name)\n")
    done = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=60, check=True)
    got_data, got_grad, op = done.stdout.decode().split()
    assert float(got_data) == d.data and float(got_grad) == 2.0 * a.grad and op == "leaky_relu"


# ---------------------------------------------------------------------------------------------------------------
# the package's face
# ---------------------------------------------------------------------------------------------------------------
def test_dir_lists_the_public_api_only():
    assert dir(ag) == sorted(ag.__all__)
    assert "value" not in dir(ag) and "atomic_write" not in dir(ag)
    for name in ag.__all__:
        obj = getattr(ag, name)
        assert obj.__doc__ and obj.__doc__.strip(), f"autograd_core.{name} has no docstring"


def test_atomic_write_lives_in_autograd_core_files(tmp_path):
    from autograd_core.files import atomic_write

    assert "atomic_write" not in ag.__all__
    assert atomic_write(tmp_path / "f.txt", "hi").read_text() == "hi"


def test_step_the_activation_is_told_apart_from_step_the_stepper():
    assert ag.step(0.5) == 1.0 and ag.step(Value(-1.0)).op == "step"
    assert "Step" in ag.step.__doc__ and "backward_steps" in ag.step.__doc__


def test_the_package_docstring_is_a_short_runnable_example():
    doc = ag.__doc__
    example = [line for line in doc.splitlines() if line.strip().startswith(">>>")]
    assert 3 <= len(example) <= 6
    finder = doctest.DocTestFinder(recurse=False)
    (test,) = finder.find(ag, "autograd_core")
    result = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS).run(test, out=lambda s: None)
    assert result.attempted == len(example) and result.failed == 0


def test_help_shows_the_example():
    text = pydoc.render_doc(ag, renderer=pydoc.plaintext)
    assert ">>> y.backward()" in text and "15.0 8.0" in text
