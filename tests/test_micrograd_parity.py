"""micrograd parity: micrograd 0.1.0's README example and its demo's training loop run on ``autograd_core`` and ``nn``
with only the imports changed, and give micrograd's numbers.

The code below is micrograd's own text (its README, ``demo.ipynb`` and the lecture's ``MLP(3, [4, 4, 1])`` loop); each
test swaps the two micrograd imports for ours (:func:`ours`, which fails if the text had no micrograd import to swap)
and runs it. Where micrograd itself is installed (``pip install micrograd==0.1.0``) the same text also runs on it and
the numbers are compared; otherwise they are compared with micrograd's recorded ones.

Two differences are by design and do not change a number here: ``nn.MLP(2, [16, 16, 1])`` has tanh hidden layers
and Xavier initialisation by default (micrograd's network is ``activation="relu", init="uniform"``), and
``parameters()`` lists each layer's ``W`` row by row and then its ``b`` (micrograd: each neuron's ``w`` then its
``b``): the same Values in another order.
"""

from __future__ import annotations

import contextlib
import io
import math
import random
import re

import pytest

import nn

IMPORTS = {
    "from micrograd.engine import Value": "from autograd_core import Value",
    "from micrograd.nn import Neuron, Layer, MLP": "from nn import Neuron, Layer, MLP",
}


def ours(code: str) -> str:
    """micrograd's code with its imports replaced by ours: nothing else changes."""
    swapped = code
    for theirs, mine in IMPORTS.items():
        swapped = swapped.replace(theirs, mine)
    assert swapped != code, "the code has no micrograd import to swap"
    return swapped


def run(code: str, namespace: dict | None = None) -> tuple:
    """Execute ``code`` in ``namespace`` (a new one by default); returns (namespace, what it printed)."""
    namespace = {"__name__": "__micrograd__"} if namespace is None else namespace
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<micrograd code>", "exec"), namespace)
    return namespace, out.getvalue()


def needs_micrograd():
    return pytest.importorskip("micrograd", reason="micrograd 0.1.0 is the live oracle: pip install micrograd==0.1.0")


# ---------------------------------------------------------------------------------------------------------------
# micrograd's README: "Example usage", verbatim
# ---------------------------------------------------------------------------------------------------------------
README_EXAMPLE = """\
from micrograd.engine import Value

a = Value(-4.0)
b = Value(2.0)
c = a + b
d = a * b + b**3
c += c + 1
c += 1 + c + (-a)
d += d * 2 + (b + a).relu()
d += 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g += 10.0 / f
print(f'{g.data:.4f}') # prints 24.7041, the outcome of this forward pass
g.backward()
print(f'{a.grad:.4f}') # prints 138.8338, i.e. the numerical value of dg/da
print(f'{b.grad:.4f}') # prints 645.5773, i.e. the numerical value of dg/db
"""


def test_readme_example_prints_the_numbers_micrograds_readme_states():
    _, printed = run(ours(README_EXAMPLE))
    assert printed == "24.7041\n138.8338\n645.5773\n"


def test_readme_example_is_exact():
    # the exact values, from rational arithmetic: g = 2421/98, dg/da = 47620/343, dg/db = 221433/343
    ns, _ = run(ours(README_EXAMPLE))
    assert math.isclose(ns["g"].data, 2421 / 98, rel_tol=1e-15)
    assert math.isclose(ns["a"].grad, 47620 / 343, rel_tol=1e-14)
    assert math.isclose(ns["b"].grad, 221433 / 343, rel_tol=1e-14)


def test_readme_example_equals_micrograds_own_run():
    needs_micrograd()
    mine, _ = run(ours(README_EXAMPLE))
    theirs, printed = run(README_EXAMPLE)
    assert printed == "24.7041\n138.8338\n645.5773\n"
    for name, field in (("g", "data"), ("a", "grad"), ("b", "grad")):
        # micrograd writes a - b as a + (-1 * b) and a / b as a * b**-1: the same numbers up to rounding
        assert math.isclose(getattr(mine[name], field), getattr(theirs[name], field), rel_tol=1e-13), name


# micrograd's test/test_engine.py, test_sanity_check (PyTorch is its oracle there; the values are exact integers)
SANITY_CHECK = """\
from micrograd.engine import Value

x = Value(-4.0)
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
"""


def test_micrograds_engine_sanity_check():
    ns, _ = run(ours(SANITY_CHECK))
    # z = -10, q = 40, h = 100, y = -20; dy/dx = 46 (by hand: dz/dx = 3, dq/dx = 3x + z = -22, dh/dx = 6z = -60,
    # dy/dx = dh/dx + dq/dx + x dq/dx + q)
    assert ns["y"].data == -20.0
    assert math.isclose(ns["x"].grad, 46.0, rel_tol=1e-15)
    if _installed("micrograd"):
        theirs, _ = run(SANITY_CHECK)
        assert ns["y"].data == theirs["y"].data and math.isclose(ns["x"].grad, theirs["x"].grad, rel_tol=1e-15)


# micrograd's README, "Tracing / visualization" (draw_dot is the notebook's; ours is autograd_core.draw)
NEURON_EXAMPLE = """\
from micrograd.engine import Value
from micrograd.nn import Neuron, Layer, MLP
n = Neuron(2)
x = [Value(1.0), Value(-2.0)]
y = n(x)
"""


def test_a_neuron_returns_a_value():
    ns, _ = run(ours(NEURON_EXAMPLE))
    y, n, x = ns["y"], ns["n"], ns["x"]
    assert isinstance(y, ns["Value"])
    y.backward()  # our Neuron's default activation is tanh (micrograd's: relu): dy/dw_k = (1 - y^2) x_k
    assert [w.grad for w in n.w] == pytest.approx([(1.0 - y.data ** 2) * xi.data for xi in x], rel=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# the lecture's loop: a model with one output, the loss written with Python's sum over its Values
# ---------------------------------------------------------------------------------------------------------------
LECTURE_LOOP = """\
from micrograd.engine import Value
from micrograd.nn import Neuron, Layer, MLP

xs = [
  [2.0, 3.0, -1.0],
  [3.0, -1.0, 0.5],
  [0.5, 1.0, 1.0],
  [1.0, 1.0, -1.0],
]
ys = [1.0, -1.0, -1.0, 1.0] # desired targets
model = MLP(3, [4, 4, 1])
losses = []
for k in range(20):
  loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, [model(x) for x in xs]))
  model.zero_grad()
  loss.backward()
  for p in model.parameters():
    p.data += -0.05 * p.grad
  losses.append(loss.data)
"""


def test_the_lectures_squared_error_loop_runs_unchanged():
    # used to fail: a model with one output returned a list, and `list - float` is a TypeError
    ns, _ = run(ours(LECTURE_LOOP))
    losses = ns["losses"]
    assert isinstance(ns["loss"], type(ns["model"].parameters()[0]))
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]


# ---------------------------------------------------------------------------------------------------------------
# micrograd's demo.ipynb: its cells, verbatim (the dataset cell aside: sklearn's make_moons is replaced by a
# moons-like set made with the random module, and the 100 optimization steps are cut to STEPS)
# ---------------------------------------------------------------------------------------------------------------
DEMO_IMPORTS = """\
import random
from micrograd.engine import Value
from micrograd.nn import Neuron, Layer, MLP
"""

DEMO_SEED = """\
random.seed(1337)
"""

DEMO_MODEL = """\
# initialize a model
model = MLP(2, [16, 16, 1]) # 2-layer neural network
print(model)
print("number of parameters", len(model.parameters()))
"""

DEMO_LOSS = """\
# loss function
def loss(batch_size=None):

    # inline DataLoader :)
    if batch_size is None:
        Xb, yb = X, y
    else:
        ri = np.random.permutation(X.shape[0])[:batch_size]
        Xb, yb = X[ri], y[ri]
    inputs = [list(map(Value, xrow)) for xrow in Xb]

    # forward the model to get scores
    scores = list(map(model, inputs))

    # svm "max-margin" loss
    losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    # L2 regularization
    alpha = 1e-4
    reg_loss = alpha * sum((p*p for p in model.parameters()))
    total_loss = data_loss + reg_loss

    # also get accuracy
    accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
    return total_loss, sum(accuracy) / len(accuracy)

total_loss, acc = loss()
print(total_loss, acc)
"""

DEMO_OPTIMIZATION = """\
# optimization
for k in range(100):

    # forward
    total_loss, acc = loss()

    # backward
    model.zero_grad()
    total_loss.backward()

    # update (sgd)
    learning_rate = 1.0 - 0.9*k/100
    for p in model.parameters():
        p.data -= learning_rate * p.grad

    if k % 1 == 0:
        print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
"""

STEPS = 6
# micrograd 0.1.0's own run of the cells above on moons(), from random.seed(1337): (loss, accuracy) per step.
# (micrograd orders a node's children by a set, so its last digit can change from run to run: compare to 1e-9.)
MICROGRAD_RUN = [
    (0.8724284201852628, 50.0),
    (1.0235682788538372, 92.5),
    (0.32005504680010044, 90.0),
    (0.16495380212993122, 95.0),
    (0.12791931567340342, 95.0),
    (0.10907697940528949, 95.0),
]
TOLERANCE = 1e-9
_STEP_LINE = re.compile(r"^step (\d+) loss (\S+), accuracy (\S+)%$")


def moons(n: int = 40, noise: float = 0.1, seed: int = 0) -> tuple:
    """Two interleaving half circles (labels -1 and +1, alternating), jittered with Gaussian noise; no sklearn."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            a, b, label = math.cos(t), math.sin(t), -1
        else:
            a, b, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1
        X.append([a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)])
        y.append(label)
    return X, y


def _optimization(steps: int) -> str:
    assert "range(100)" in DEMO_OPTIMIZATION
    return DEMO_OPTIMIZATION.replace("range(100)", f"range({steps})")


def _trajectory(printed: str) -> list:
    rows = [_STEP_LINE.match(line) for line in printed.splitlines() if line.startswith("step ")]
    assert rows and all(rows), printed
    assert [int(m.group(1)) for m in rows] == list(range(len(rows)))
    return [(float(m.group(2)), float(m.group(3))) for m in rows]


def _installed(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def _micrograd_model():
    """micrograd's demo model: MLP(2, [16, 16, 1]) after random.seed(1337); the global random state is restored."""
    from micrograd.nn import MLP as MicrogradMLP

    state = random.getstate()
    random.seed(1337)
    try:
        return MicrogradMLP(2, [16, 16, 1])
    finally:
        random.setstate(state)


def _copy_weights(theirs, model: nn.MLP) -> None:
    """micrograd's layers[l].neurons[j].w[k] and .b into our layers[l].W[j][k] and b[j]."""
    for their_layer, layer in zip(theirs.layers, model.layers):
        assert len(their_layer.neurons) == len(layer.W)
        for j, neuron in enumerate(their_layer.neurons):
            for k, w in enumerate(neuron.w):
                layer.W[j][k].data = w.data
            layer.b[j].data = float(neuron.b.data)


@contextlib.contextmanager
def _global_random_kept():
    # the demo seeds the global random module (micrograd draws its weights from it): restore it afterwards
    state = random.getstate()
    try:
        yield
    finally:
        random.setstate(state)


def _demo_namespace(code: str) -> dict:
    """The demo's first cells run by ``code`` (ours() or micrograd's), then the data set as X and y."""
    with _global_random_kept():
        ns, printed = run(code)
    assert "number of parameters 337" in printed  # micrograd's demo prints the same count
    ns["X"], ns["y"] = moons()
    return ns


def test_the_demo_runs_as_written_and_the_loss_decreases():
    # MLP(2, [16, 16, 1]) exactly as the demo writes it: our defaults, tanh and Xavier
    ns = _demo_namespace(ours(DEMO_IMPORTS + DEMO_SEED + DEMO_MODEL))
    assert isinstance(ns["model"]([0.5, 0.5]), ns["Value"])
    _, printed = run(DEMO_LOSS + _optimization(STEPS), ns)
    losses = [loss for loss, _ in _trajectory(printed)]
    assert len(losses) == STEPS and all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0]


def _micrograds_network() -> nn.MLP:
    # micrograd's network: ReLU hidden layers, a linear output, uniform(-1, 1) weights, biases 0
    return nn.MLP(2, [16, 16, 1], activation="relu", output_activation="linear", init="uniform", seed=1337)


def test_the_demo_loop_equals_micrograds_run_from_the_same_weights():
    ns = _demo_namespace(ours(DEMO_IMPORTS + DEMO_SEED + DEMO_MODEL))
    model = _micrograds_network()  # seed 1337 draws micrograd's weights (see the test below); copy them if we can
    if _installed("micrograd"):
        _copy_weights(_micrograd_model(), model)
    ns["model"] = model
    _, printed = run(DEMO_LOSS + _optimization(STEPS), ns)
    trajectory = _trajectory(printed)
    losses = [loss for loss, _ in trajectory]
    assert all(later < losses[1] for later in losses[2:]) and losses[-1] < losses[0]
    for k, ((loss, acc), (their_loss, their_acc)) in enumerate(zip(trajectory, MICROGRAD_RUN, strict=True)):
        assert abs(loss - their_loss) <= TOLERANCE, f"step {k}: {loss!r} vs micrograd's {their_loss!r}"
        assert acc == their_acc, f"step {k}"


def test_the_demo_loop_equals_micrograds_live_run():
    needs_micrograd()
    theirs_ns = _demo_namespace(DEMO_IMPORTS + DEMO_SEED + DEMO_MODEL)
    mine_ns = _demo_namespace(ours(DEMO_IMPORTS + DEMO_SEED + DEMO_MODEL))
    mine_ns["model"] = _micrograds_network()
    _copy_weights(theirs_ns["model"], mine_ns["model"])
    _, their_printed = run(DEMO_LOSS + _optimization(STEPS), theirs_ns)
    _, my_printed = run(DEMO_LOSS + _optimization(STEPS), mine_ns)
    theirs, mine = _trajectory(their_printed), _trajectory(my_printed)
    assert len(mine) == len(theirs) == STEPS
    for k, ((loss, acc), (their_loss, their_acc)) in enumerate(zip(mine, theirs)):
        assert abs(loss - their_loss) <= TOLERANCE, f"step {k}: {loss!r} vs micrograd's {their_loss!r}"
        assert acc == their_acc, f"step {k}"
    # and the recorded run above is what micrograd gives
    assert all(abs(a - b) <= TOLERANCE for (a, _), (b, _) in zip(theirs, MICROGRAD_RUN))


def test_uniform_init_with_a_seed_draws_micrograds_weights():
    # init="uniform" draws U(-1, 1) from random.Random(seed) in micrograd's order: neuron by neuron, w by w
    needs_micrograd()
    theirs, model = _micrograd_model(), _micrograds_network()
    for their_layer, layer in zip(theirs.layers, model.layers):
        assert [[w.data for w in n.w] for n in their_layer.neurons] == [[w.data for w in row] for row in layer.W]
        assert [n.b.data for n in their_layer.neurons] == [b.data for b in layer.b]


def test_parameters_are_micrograds_in_another_order():
    needs_micrograd()
    theirs, model = _micrograd_model(), _micrograds_network()
    _copy_weights(theirs, model)
    assert len(model.parameters()) == len(theirs.parameters()) == 337
    assert sorted(p.data for p in model.parameters()) == sorted(p.data for p in theirs.parameters())
