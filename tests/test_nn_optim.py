"""nn.optim: SGD (momentum, weight decay) and Adam against hand-computed steps, schedules, clipping, bad input."""

import math

import pytest

import nn
from autograd_core import Value
from nn.optim import (
    SGD,
    Adam,
    ConstantSchedule,
    CosineSchedule,
    ExponentialSchedule,
    LinearSchedule,
    StepSchedule,
    clip_grad_norm,
    clip_grad_value,
)


def params(*pairs):
    """Values with given (data, grad)."""
    out = []
    for i, (d, g) in enumerate(pairs):
        v = Value(d, label=f"p{i}")
        v.grad = g
        out.append(v)
    return out


def test_plain_sgd_step():
    a, b = params((1.0, 0.5), (-2.0, -4.0))
    opt = SGD([a, b], lr=0.1)
    opt.step()
    assert a.data == pytest.approx(1.0 - 0.05) and b.data == pytest.approx(-2.0 + 0.4)
    assert opt.steps == 1


def test_sgd_momentum_by_hand():
    (p,) = params((1.0, 0.0))
    opt = SGD([p], lr=0.1, momentum=0.9)
    grads = [1.0, 2.0, -1.0]
    v, x = 0.0, 1.0
    for k, g in enumerate(grads):
        p.grad = g
        opt.step()
        v = g if k == 0 else 0.9 * v + g
        x -= 0.1 * v
        assert p.data == pytest.approx(x, rel=1e-15)
    # the three steps written out: v = 1, 2.9, 1.61
    assert p.data == pytest.approx(1.0 - 0.1 * (1.0 + 2.9 + 1.61), rel=1e-14)


def test_sgd_weight_decay_by_hand():
    (p,) = params((2.0, 0.5))
    SGD([p], lr=0.1, weight_decay=0.01).step()
    assert p.data == pytest.approx(2.0 - 0.1 * (0.5 + 0.01 * 2.0), rel=1e-15)
    (q,) = params((2.0, 0.5))
    opt = SGD([q], lr=0.1, momentum=0.5, weight_decay=0.1)
    opt.step()  # v = g + wd*q = 0.7, q = 2 - 0.07 = 1.93
    assert q.data == pytest.approx(1.93, rel=1e-15)
    q.grad = 0.5
    opt.step()  # g = 0.5 + 0.193 = 0.693, v = 0.35 + 0.693 = 1.043, q = 1.93 - 0.1043
    assert q.data == pytest.approx(1.93 - 0.1043, rel=1e-14)


def test_adam_by_hand():
    (p,) = params((1.0, 0.0))
    opt = Adam([p], lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    m = v = 0.0
    x = 1.0
    for t, g in enumerate([0.5, -0.3, 0.2, 1.0], start=1):
        p.grad = g
        opt.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x -= 0.01 * (m / (1 - 0.9 ** t)) / (math.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        assert p.data == pytest.approx(x, rel=1e-14)
    # first Adam step moves by about lr whatever the gradient's scale
    (q,) = params((0.0, 1234.5))
    Adam([q], lr=0.01).step()
    assert q.data == pytest.approx(-0.01, rel=1e-6)


def test_optimizers_match_torch():
    torch = pytest.importorskip("torch")
    grads = [[0.5, -1.0], [0.25, 0.75], [-2.0, 0.1]]
    for ours_cls, torch_cls, kwargs in [
        (SGD, torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
        (Adam, torch.optim.Adam, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ]:
        ps = params((1.0, 0.0), (-0.5, 0.0))
        tp = torch.tensor([1.0, -0.5], dtype=torch.float64, requires_grad=True)
        ours, theirs = ours_cls(ps, **kwargs), torch_cls([tp], **kwargs)
        for g in grads:
            for p, gi in zip(ps, g):
                p.grad = gi
            tp.grad = torch.tensor(g, dtype=torch.float64)
            ours.step()
            theirs.step()
            assert [p.data for p in ps] == pytest.approx(tp.detach().tolist(), rel=1e-13)


def test_zero_grad_and_module_params():
    model = nn.MLP(2, [2, 1], seed=0)
    model([1.0, 2.0]).backward()
    opt = SGD(model, lr=0.1)  # a module is accepted as its parameters
    assert opt.params == model.parameters()
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_schedule_as_learning_rate():
    (p,) = params((0.0, 1.0))
    opt = SGD([p], lr=lambda k: 1.0 - 0.9 * k / 100)
    seen = []
    for _ in range(3):
        seen.append(opt.current_lr)
        opt.step()
    assert seen == [1.0, 1.0 - 0.009, 1.0 - 0.018]
    assert p.data == pytest.approx(-sum(seen), rel=1e-15)


def test_schedules():
    lin = LinearSchedule(1.0, 0.1, 100)
    assert [lin(k) for k in (0, 50, 100, 200)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    assert all(lin(k) == 1.0 - 0.9 * k / 100 for k in range(100))  # micrograd's demo schedule
    assert [StepSchedule(0.1, 10, 0.5)(k) for k in (0, 9, 10, 25)] == pytest.approx([0.1, 0.1, 0.05, 0.025])
    assert ExponentialSchedule(0.1, 0.9)(3) == pytest.approx(0.1 * 0.9 ** 3)
    cos = CosineSchedule(0.1, 10, lr_min=0.01)
    assert [cos(0), cos(5), cos(10), cos(20)] == pytest.approx([0.1, 0.055, 0.01, 0.01])
    assert ConstantSchedule(0.3)(1000) == 0.3
    assert "LinearSchedule(1.0, 0.1, 100)" == repr(lin)


def test_schedule_returning_garbage_is_an_error():
    (p,) = params((0.0, 1.0))
    with pytest.raises(ValueError, match="schedule returned -1.0 at step 0"):
        SGD([p], lr=lambda k: -1.0).step()
    with pytest.raises(ValueError, match="schedule returned nan"):
        Adam([p], lr=lambda k: math.nan).step()


def test_clip_grad_norm():
    a, b = params((0.0, 3.0), (0.0, 4.0))
    norm = clip_grad_norm([a, b], 1.0)
    assert norm == 5.0
    assert (a.grad, b.grad) == pytest.approx((0.6, 0.8), rel=1e-15)
    assert math.hypot(a.grad, b.grad) == pytest.approx(1.0, rel=1e-15)
    c, d = params((0.0, 0.3), (0.0, 0.4))
    assert clip_grad_norm([c, d], 1.0) == pytest.approx(0.5)
    assert (c.grad, d.grad) == (0.3, 0.4)  # below the limit: untouched
    (e,) = params((0.0, math.inf))
    with pytest.raises(ValueError, match="gradient norm is inf"):
        clip_grad_norm([e], 1.0)


def test_clip_grad_value():
    ps = params((0.0, 3.0), (0.0, -4.0), (0.0, 0.25))
    clip_grad_value(ps, 0.5)
    assert [p.grad for p in ps] == [0.5, -0.5, 0.25]
    (n,) = params((0.0, math.nan))
    with pytest.raises(ValueError, match="is nan"):
        clip_grad_value([n], 1.0)


@pytest.mark.parametrize("call, error, message", [
    (lambda: SGD([], lr=0.1), ValueError, "params is empty"),
    (lambda: SGD(Value(1.0), lr=0.1), TypeError, "wrap it in a list"),
    (lambda: SGD([1.0], lr=0.1), TypeError, r"params\[0\] must be a Value"),
    (lambda: SGD([Value(1.0, label="w")] * 2, lr=0.1), ValueError, r"params\[1\] \(w\) appears twice"),
    (lambda: SGD([Value(1.0)], lr=0.0), ValueError, r"lr must be in \(0, inf\)"),
    (lambda: SGD([Value(1.0)], lr="0.1"), TypeError, "lr must be a number"),
    (lambda: SGD([Value(1.0)], lr=0.1, momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
    (lambda: SGD([Value(1.0)], lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
    (lambda: Adam([Value(1.0)], betas=(0.9,)), TypeError, "betas must be a pair"),
    (lambda: Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, "beta2"),
    (lambda: Adam([Value(1.0)], eps=0.0), ValueError, "eps"),
    (lambda: clip_grad_norm([Value(1.0)], 0.0), ValueError, "max_norm"),
    (lambda: clip_grad_value([Value(1.0)], -1.0), ValueError, "limit"),
    (lambda: LinearSchedule(1.0, 0.1, 0), ValueError, "steps must be a positive int"),
    (lambda: StepSchedule(0.1, 0), ValueError, "every"),
    (lambda: CosineSchedule(0.1, 10, lr_min=0.5), ValueError, "lr_min"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_clip_grad_norm_of_huge_finite_gradients():
    # fault: squaring 3e200 overflowed, so the norm came out inf and nothing was clipped correctly
    a, b = params((0.0, 3e200), (0.0, 4e200))
    norm = clip_grad_norm([a, b], 1.0)
    assert math.isfinite(norm) and norm == pytest.approx(5e200, rel=1e-15)
    assert (a.grad, b.grad) == pytest.approx((0.6, 0.8), rel=1e-15)
    c, d = params((0.0, -3e200), (0.0, 4e200))
    assert clip_grad_norm([c, d], 1e300) == pytest.approx(5e200, rel=1e-15)
    assert (c.grad, d.grad) == (-3e200, 4e200)  # below the limit: untouched
    # a norm beyond the largest float: reported as inf, yet every gradient is still clipped to the right value
    e, f = params((0.0, 1.5e308), (0.0, -1.5e308))
    assert clip_grad_norm([e, f], 2.0) == math.inf
    assert (e.grad, f.grad) == pytest.approx((math.sqrt(2.0), -math.sqrt(2.0)), rel=1e-15)


def test_clip_grad_norm_of_tiny_gradients_and_nan():
    a, b = params((0.0, 3e-200), (0.0, 4e-200))  # squares underflow to 0
    assert clip_grad_norm([a, b], 1e-201) == pytest.approx(5e-200, rel=1e-15)
    assert (a.grad, b.grad) == pytest.approx((0.6e-201, 0.8e-201), rel=1e-15)
    z = params((0.0, 0.0))
    assert clip_grad_norm(z, 1.0) == 0.0
    n, m = params((0.0, 1.0), (0.0, math.nan))
    with pytest.raises(ValueError, match="gradient norm is nan"):
        clip_grad_norm([n, m], 1.0)
