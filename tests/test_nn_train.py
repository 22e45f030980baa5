"""nn.train.fit: XOR, history, batch variants, reproducibility, Ctrl-C, progress output, bad input, evaluate."""

import io
import math
import os
import random
import signal
import sys

import pytest

import autograd_core as ag
import nn
from nn.losses import l2_penalty, mse
from nn.train import TrainingDiverged

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0, 1, 1, 0]


def _regression_data(n=12):
    rng = random.Random(0)
    X = [[rng.uniform(-2, 2)] for _ in range(n)]
    return X, [math.sin(x[0]) for x in X]


def test_xor_is_learned_to_100_percent():
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
    opt = nn.SGD(model.parameters(), lr=0.5, momentum=0.9)
    history = nn.fit(model, XOR_X, XOR_Y, "binary_cross_entropy_with_logits", opt, epochs=200, progress=False)
    result = nn.evaluate(model, XOR_X, XOR_Y, "binary_cross_entropy_with_logits")
    assert result.accuracy == 1.0
    assert result.loss < 0.01
    assert history.accuracy[-1] == 1.0
    assert [int(model.predict(x) > 0) for x in XOR_X] == XOR_Y


def test_a_single_neuron_cannot_learn_xor():
    # XOR is not linearly separable: a linear unit gets at most 3 of the 4 points right
    model = nn.MLP(2, [1], output_activation="linear", seed=0)
    opt = nn.Adam(model.parameters(), lr=0.1)
    nn.fit(model, XOR_X, XOR_Y, "binary_cross_entropy_with_logits", opt, epochs=200, progress=False)
    assert nn.evaluate(model, XOR_X, XOR_Y, "binary_cross_entropy_with_logits").accuracy <= 0.75


def test_history_full_batch():
    X, y = _regression_data()
    model = nn.MLP(1, [2, 2, 1], activation="sigmoid", seed=1)
    history = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.5), epochs=20, progress=False)
    assert history.steps == 20 and history.epochs == 20
    assert history.step_loss == history.epoch_loss  # one step per epoch
    assert history.accuracy is None  # regression
    assert history.lr == [0.5] * 20
    assert history.epoch_loss[-1] < history.epoch_loss[0]
    assert not history.interrupted and not history.stopped_early
    assert str(history).startswith("History: 20 epochs, 20 steps, loss ")


@pytest.mark.parametrize("batch_size, steps_per_epoch", [(None, 1), (1, 12), (5, 3), (12, 1), (100, 1)])
def test_batch_variants_step_counts(batch_size, steps_per_epoch):
    X, y = _regression_data()
    model = nn.MLP(1, [3, 1], seed=2)
    history = nn.fit(model, X, y, mse, nn.SGD(model.parameters(), lr=0.05), epochs=3, batch_size=batch_size,
                     progress=False, seed=0)
    assert history.steps == 3 * steps_per_epoch == len(history.step_loss)
    assert len(history.epoch_loss) == 3
    sizes = [5, 5, 2] if batch_size == 5 else None
    if sizes:  # the epoch loss is the batch-size weighted mean of its step losses
        first = history.step_loss[:3]
        assert history.epoch_loss[0] == pytest.approx(sum(s * n for s, n in zip(first, sizes)) / 12, rel=1e-14)


def test_one_fit_step_is_the_manual_step():
    X, y = _regression_data(5)
    a, b = nn.MLP(1, [3, 1], seed=4), nn.MLP(1, [3, 1], seed=4)
    nn.fit(a, X, y, "mse", nn.SGD(a.parameters(), lr=0.1), epochs=1, progress=False, l2=0.01)
    total = ag.sum([mse(b(x), t) for x, t in zip(X, y)]) * (1 / 5) + l2_penalty(b, 0.01)
    total.backward()
    for p in b.parameters():
        p.data -= 0.1 * p.grad
    assert [p.data for p in a.parameters()] == pytest.approx([p.data for p in b.parameters()], rel=1e-15)


def test_seeded_fit_is_reproducible_and_leaves_global_random_alone():
    X, y = _regression_data()
    random.seed(7)
    state = random.getstate()
    runs = []
    for _ in range(2):
        model = nn.MLP(1, [3, 1], seed=5)
        h = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.05), epochs=3, batch_size=4, seed=11,
                   progress=False)
        runs.append((h.step_loss, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]
    assert random.getstate() == state


def test_accuracy_for_classification_and_custom_rule():
    model = nn.MLP(2, [3, 2], seed=0)
    h = nn.fit(model, XOR_X, XOR_Y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    assert len(h.accuracy) == 2 and all(a in (0.0, 0.25, 0.5, 0.75, 1.0) for a in h.accuracy)
    h2 = nn.fit(model, XOR_X, XOR_Y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), epochs=1, progress=False,
                accuracy=lambda outputs, target: True)
    assert h2.accuracy == [1.0]
    h3 = nn.fit(model, XOR_X, XOR_Y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), epochs=1, progress=False,
                accuracy=False)
    assert h3.accuracy is None


def test_learning_rate_schedule_is_recorded():
    X, y = _regression_data()
    model = nn.MLP(1, [2, 1], seed=0)
    h = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=nn.optim.StepSchedule(0.1, 2, 0.5)), epochs=5,
               progress=False)
    assert h.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_callback_can_stop_early():
    X, y = _regression_data()
    model = nn.MLP(1, [2, 1], seed=0)
    h = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.1), epochs=50, progress=False,
               callback=lambda hist: hist.epochs >= 3)
    assert h.epochs == 3 and h.stopped_early and not h.interrupted


def _snapshot(model):
    return [p.data for p in model.parameters()]


def test_keyboard_interrupt_inside_the_loss_returns_partial_history():
    X, y = _regression_data(8)
    model = nn.MLP(1, [3, 1], seed=0)
    calls = {"n": 0}
    snapshots = []

    def loss(outputs, target):
        calls["n"] += 1
        if calls["n"] == 8 * 4 + 3:  # in the middle of the 5th full-batch step
            raise KeyboardInterrupt
        return mse(outputs, target)

    h = nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=0.1), epochs=10, progress=False,
               callback=lambda hist: snapshots.append(_snapshot(model)))
    assert h.interrupted
    assert h.steps == 4 == len(h.step_loss) == len(h.epoch_loss)
    assert _snapshot(model) == snapshots[-1]  # the cut step changed no parameter


def test_keyboard_interrupt_inside_a_callback_returns_partial_history():
    X, y = _regression_data(8)
    model = nn.MLP(1, [3, 1], seed=0)

    def callback(hist):
        if hist.epochs == 2:
            raise KeyboardInterrupt

    h = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.1), epochs=10, batch_size=4, progress=False,
               callback=callback)
    assert h.interrupted and h.epochs == 2 and h.steps == 4


@pytest.fixture
def default_sigint():
    """Python's own SIGINT handler for the test: a shell starts background jobs with SIGINT ignored, and fit leaves
    a handler it did not expect alone (regression: these tests failed when the suite ran as a background job)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_real_sigint_finishes_the_step_then_stops(default_sigint):
    X, y = _regression_data(8)
    model = nn.MLP(1, [3, 1], seed=0)
    previous = signal.getsignal(signal.SIGINT)

    def callback(hist):
        if hist.epochs == 3:
            os.kill(os.getpid(), signal.SIGINT)

    h = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.1), epochs=10, progress=False,
               callback=callback)
    assert h.interrupted and h.epochs == 3 and h.steps == 3
    assert signal.getsignal(signal.SIGINT) is previous  # the handler is restored


def test_second_sigint_interrupts_the_step_at_once(default_sigint):
    X, y = _regression_data(4)
    model = nn.MLP(1, [3, 1], seed=0)
    calls = {"n": 0}

    def loss(outputs, target):
        calls["n"] += 1
        if calls["n"] == 6:  # second step: two Ctrl-C in a row
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
        return mse(outputs, target)

    before = []
    h = nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=0.1), epochs=5, progress=False,
               callback=lambda hist: before.append(_snapshot(model)))
    assert h.interrupted and h.steps == 1
    assert _snapshot(model) == before[-1]


def test_diverging_training_raises_with_history():
    X, y = _regression_data(4)
    model = nn.MLP(1, [2, 1], seed=0)
    calls = {"n": 0}

    def loss(outputs, target):
        calls["n"] += 1
        return mse(outputs, target) * (1e308 if calls["n"] > 8 else 1.0) * 10.0

    with pytest.raises(TrainingDiverged, match="diverged at step 2 .*lower the learning rate") as info:
        nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=0.01), epochs=5, progress=False)
    assert info.value.history.steps == 2
    assert isinstance(info.value, FloatingPointError)


class _FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_silent_without_a_terminal(capsys):
    X, y = _regression_data(4)
    model = nn.MLP(1, [2, 1], seed=0)
    nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.1), epochs=3, progress=True)
    assert capsys.readouterr().out == ""


def test_progress_bar_on_a_terminal(monkeypatch):
    pytest.importorskip("tqdm")
    fake = _FakeTTY()
    monkeypatch.setattr(sys, "stdout", fake)
    X, y = _regression_data(4)
    model = nn.MLP(1, [2, 1], seed=0)
    nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.1), epochs=3, progress=True)
    text = fake.getvalue()
    assert "3/3" in text and "loss=" in text


def test_plain_progress_line_without_tqdm(monkeypatch):
    fake = _FakeTTY()
    monkeypatch.setattr(sys, "stdout", fake)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # makes `from tqdm.auto import tqdm` an ImportError
    model = nn.MLP(2, [2, 2], seed=0)
    nn.fit(model, XOR_X, XOR_Y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), epochs=3, progress=True)
    text = fake.getvalue()
    assert "\repoch 3/3 loss " in text and "accuracy" in text and text.endswith("\n")


@pytest.mark.parametrize("kwargs, error, message", [
    ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
    ({"epochs": 2.0}, ValueError, "epochs must be a positive int"),
    ({"loss": "l1"}, ValueError, "unknown loss 'l1'; valid names"),
    ({"optimizer": object()}, TypeError, "optimizer must have step"),
    ({"l2": -0.1}, ValueError, "l2 must be a finite number >= 0"),
    ({"accuracy": True}, TypeError, "accuracy must be None"),
    ({"callback": 3}, TypeError, "callback must be callable"),
    ({"y": [0, 1, 1]}, ValueError, "X has 4 examples but y has 3"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"model": lambda x: x}, TypeError, "model must be an nn.Module"),
    ({"y": [0, 1, 2, 0]}, ValueError, "class index 2 is out of range for 2 classes"),
    ({"X": [[0.0], [1.0], [0.0], [1.0]]}, ValueError, "expected an input of length 2, got length 1"),
    ({"loss": lambda o, t: 1.0}, TypeError, "the loss must return a Value"),
])
def test_bad_arguments(kwargs, error, message):
    model = nn.MLP(2, [2, 2], seed=0)
    args = {"model": model, "X": XOR_X, "y": XOR_Y, "loss": "cross_entropy",
            "optimizer": nn.SGD(model.parameters(), lr=0.1), "epochs": 2, "progress": False}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        nn.fit(**args)


def test_evaluate_does_not_train_or_build_graphs():
    model = nn.MLP(2, [3, 2], seed=0)
    before = _snapshot(model)
    result = nn.evaluate(model, XOR_X, XOR_Y, "cross_entropy")
    manual = sum(nn.losses.cross_entropy(model.predict(x), t) for x, t in zip(XOR_X, XOR_Y)) / 4
    assert result.loss == pytest.approx(manual, rel=1e-14)
    assert 0.0 <= result.accuracy <= 1.0
    assert _snapshot(model) == before
    assert nn.evaluate(model, XOR_X, [[0.0, 1.0]] * 4, "mse").accuracy is None


def test_relu_model_with_a_nan_weight_diverges():
    # fault: relu(nan) was 0.0, so a nan weight in a relu layer vanished from the output and fit trained on silently;
    # nan now propagates (as in PyTorch), the hinge loss is nan and fit stops at once
    model = nn.MLP(2, [4, 1], activation="relu", seed=0)
    model.layers[0].W[0][0].data = float("nan")
    X, y = [[0.5, -1.0], [1.0, 2.0], [-0.3, 0.8]], [1, -1, 1]
    before = [p.data for p in model.parameters()]
    with pytest.raises(TrainingDiverged, match="diverged at step 0 .*the loss is nan") as info:
        nn.fit(model, X, y, "hinge", nn.SGD(model.parameters(), lr=0.1), epochs=3, progress=False)
    assert info.value.history.steps == 0
    after = [p.data for p in model.parameters()]
    assert all(a == b or (math.isnan(a) and math.isnan(b)) for a, b in zip(after, before))  # no update ran


def test_batch_loss_is_the_mean_loss_plus_the_penalty():
    model = nn.MLP(2, [3, 1], seed=0)
    X, y = [[0.5, -1.0], [1.0, 2.0]], [0.3, -0.2]
    outs, total = nn.train.batch_loss(model, X, y, "mse", l2=0.1)
    assert [o.data for o in outs] == [model.predict(x) for x in X]  # one output: Values, and floats
    expected = sum(mse(model(x), t).data for x, t in zip(X, y)) / 2 + l2_penalty(model, 0.1).data
    assert total.data == pytest.approx(expected, rel=1e-14)
    with pytest.raises(ValueError, match="batch is empty"):
        nn.train.batch_loss(model, [], [], "mse")


def test_fit_and_evaluate_a_model_with_one_output():
    # the model call returns the Value itself: fit, evaluate, batch_loss and the accuracy rules all take it
    X, y = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 0, 0, 1]  # AND
    for model in (nn.Neuron(2, activation="sigmoid", seed=0), nn.Layer(2, 1, activation="sigmoid", seed=0),
                  nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=0)):
        seen = []

        def correct(outputs, target, seen=seen):
            seen.append(outputs)
            return (outputs.data >= 0.5) == (target >= 0.5)

        history = nn.fit(model, X, y, "binary_cross_entropy", nn.SGD(model, lr=2.0), epochs=200, progress=False,
                         accuracy=correct)
        assert seen and all(isinstance(o, ag.Value) for o in seen)  # a custom rule gets what the model returns
        result = nn.evaluate(model, X, y, "binary_cross_entropy")
        assert result.accuracy == 1.0 == history.accuracy[-1]
        outs, total = nn.train.batch_loss(model, X, y, "binary_cross_entropy")
        assert all(isinstance(o, ag.Value) for o in outs) and total.data == pytest.approx(result.loss, rel=1e-12)
        assert [round(model.predict(x)) for x in X] == y


# ---------------------------------------------------------------------------------------------------------------
# reduction="sum", clip_norm, grad_norm
# ---------------------------------------------------------------------------------------------------------------
def test_fit_with_reduction_sum_takes_the_sums_gradient():
    # two outputs: one step with reduction="sum" is one step of the mean with twice the learning rate
    X, y = [[0.5, -1.0], [1.0, 0.3], [-0.2, 0.8]], [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    a = nn.MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=0)
    b = nn.MLP(2, [3, 2], activation="tanh", output_activation="sigmoid", seed=0)
    ha = nn.fit(a, X, y, "binary_cross_entropy", nn.SGD(a.parameters(), lr=0.4), epochs=1, progress=False,
                reduction="sum")
    hb = nn.fit(b, X, y, "binary_cross_entropy", nn.SGD(b.parameters(), lr=0.8), epochs=1, progress=False)
    assert [p.data for p in a.parameters()] == pytest.approx([p.data for p in b.parameters()], rel=1e-12)
    assert ha.step_loss[0] == pytest.approx(2 * hb.step_loss[0], rel=1e-14)
    assert ha.grad_norm[0] == pytest.approx(2 * hb.grad_norm[0], rel=1e-12)
    assert ha.accuracy is not None  # a summed binary cross-entropy is still a classification loss
    assert nn.evaluate(a, X, y, "binary_cross_entropy", reduction="sum").loss == pytest.approx(
        2 * nn.evaluate(a, X, y, "binary_cross_entropy").loss, rel=1e-14)
    _, total = nn.train.batch_loss(a, X, y, "half_mse", reduction="sum")
    _, mean = nn.train.batch_loss(a, X, y, "half_mse")
    assert total.data == pytest.approx(2 * mean.data, rel=1e-14)


def test_fit_rejects_a_reduction_that_does_not_apply():
    model = nn.MLP(2, [2, 2], seed=0)
    with pytest.raises(ValueError, match="fit: cross_entropy is already a sum over the classes"):
        nn.fit(model, XOR_X, XOR_Y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), 1, progress=False,
               reduction="sum")
    with pytest.raises(ValueError, match="fit: reduction must be 'mean'"):
        nn.fit(model, XOR_X, XOR_Y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), 1, progress=False,
               reduction="Sum")


def test_grad_norm_is_recorded_every_step():
    X, y = _regression_data(6)
    model = nn.MLP(1, [3, 1], seed=0)
    state = model.state_dict()
    h = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=0.1), epochs=3, batch_size=2, seed=0,
               progress=False)
    assert len(h.grad_norm) == h.steps == 9
    # the first step's norm is the norm of the engine's gradient of the first batch's loss
    model.load_state_dict(state)
    first = next(iter(nn.batches(X, y, 2, seed=0)))
    _, loss = nn.train.batch_loss(model, *first, "mse")
    grads = ag.gradients(loss, model.parameters())
    assert h.grad_norm[0] == pytest.approx(math.sqrt(math.fsum(g * g for g in grads)), rel=1e-12)


def test_clip_norm_bounds_every_update():
    # weights three times too large: the gradient explodes; with clip_norm each SGD step moves the parameters by at
    # most lr * clip_norm, and the recorded norm is the one before clipping
    rng = random.Random(1)
    X = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(6)]
    y = [x[0] - x[1] for x in X]

    def deep():
        model = nn.MLP(3, [6, 6, 6, 6, 1], activation="relu", init="he", seed=2, scopes="none")
        for w in model.weights():
            w.data *= 3.0
        return model

    model = deep()
    before = [p.data for p in model.parameters()]
    moves = []

    def watch(history):
        nonlocal before
        now = [p.data for p in model.parameters()]
        moves.append(math.sqrt(math.fsum((a - b) ** 2 for a, b in zip(now, before))))
        before = now

    lr, c = 0.01, 0.5
    h = nn.fit(model, X, y, "mse", nn.SGD(model.parameters(), lr=lr), epochs=5, progress=False, clip_norm=c,
               callback=watch)
    assert h.grad_norm[0] > 100 * c  # it did explode
    assert all(m <= lr * c * (1 + 1e-9) for m in moves)
    free = deep()
    h_free = nn.fit(free, X, y, "mse", nn.SGD(free.parameters(), lr=lr), epochs=1, progress=False)
    assert h_free.grad_norm[0] == pytest.approx(h.grad_norm[0], rel=1e-12)  # same start, same unclipped norm


@pytest.mark.parametrize("clip_norm", [0, -1.0, math.inf, math.nan, True, "1"])
def test_bad_clip_norm(clip_norm):
    model = nn.MLP(2, [2, 2], seed=0)
    with pytest.raises(ValueError, match="fit: clip_norm must be None .* or a finite number > 0"):
        nn.fit(model, XOR_X, XOR_Y, "cross_entropy", nn.SGD(model.parameters(), lr=0.1), 1, progress=False,
               clip_norm=clip_norm)


def test_an_infinite_gradient_with_a_finite_loss_diverges():
    # fault: a gradient that overflowed to inf while the loss stayed finite went into the update unnoticed (nan
    # weights one step later); the gradient norm is checked now, before any parameter changes
    model = nn.Neuron(1, activation="linear", seed=0)
    model.w[0].data, model.b.data = 1.0, 0.0

    def loss(output, target):  # sqrt(1e-320 y) * 1e200 = 1e40 at y = 1, but its slope 1e200 / (2 sqrt(1e-320 y))
        return ag.sqrt(output * 1e-320) * 1e200  # times 1e-320 overflows on the way back

    before = [p.data for p in model.parameters()]
    with pytest.raises(TrainingDiverged, match="gradient norm is (inf|nan)"):
        nn.fit(model, [[1.0]], [0.0], loss, nn.SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize(("batch_size", "loss"), [(None, "hinge"), (4, "hinge"), (None, "mse")])
def test_fit_compiled_is_bit_identical_to_graph_mode(batch_size, loss):
    # fit(compile=True) replays a traced step on floats: the same losses, accuracies and weights, bit for bit
    import random as _random

    rng = _random.Random(3)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(10)]
    y = [1.0 if a * b > 0 else -1.0 for a, b in X]
    runs = []
    for compiled in (False, True):
        model = nn.MLP(2, [4, 1], activation="relu", seed=7)
        h = nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=0.1), epochs=4, batch_size=batch_size,
                   shuffle=False, progress=False, l2=1e-3, compile=compiled)
        runs.append((h.step_loss, h.accuracy, h.grad_norm, [p.data for p in model.parameters()]))
    assert runs[0] == runs[1]


def test_fit_compiled_needs_fixed_batches():
    model = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="compile=True needs fixed batches"):
        nn.fit(model, [[0.0, 1.0]] * 4, [1.0] * 4, "mse", nn.SGD(model.parameters(), lr=0.1), epochs=1,
               batch_size=2, progress=False, compile=True)
