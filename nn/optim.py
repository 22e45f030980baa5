"""Optimizers, learning-rate schedules and gradient clipping.

An optimizer holds a list of parameter Values and updates their ``.data`` in place from their ``.grad`` (plain float
arithmetic: an update never records a graph). The learning rate is a number or a *schedule*: a callable
``lr(step) -> float`` of the step index (0 for the first update), such as :class:`LinearSchedule` or
``lambda k: 1.0 - 0.9 * k / 100`` (micrograd's demo).

The update rules (g is the gradient, t the step counting from 1):

* :class:`SGD`: ``g ← g + weight_decay·θ``; with momentum μ ``v ← μ v + g`` (v = g on the first step) and
  ``θ ← θ - lr·v``; without, ``θ ← θ - lr·g`` (the lectures' ``θ ← θ - η ∇L``).
* :class:`Adam`: ``g ← g + weight_decay·θ``; ``m ← β1 m + (1-β1) g``; ``v ← β2 v + (1-β2) g²``;
  ``θ ← θ - lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + eps)``.

Both match ``torch.optim.SGD`` / ``torch.optim.Adam`` with the same arguments. As in PyTorch, a parameter whose
``.grad`` is None (``zero_grad(set_to_none=True)`` or ``p.grad = None``, and no backward reached it since) is
skipped: neither updated nor decayed, and its momentum or moments are left as they were.
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Union

from autograd_core import Value

from .module import Module

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "clip_grad_norm",
    "clip_grad_value",
    "ConstantSchedule",
    "LinearSchedule",
    "StepSchedule",
    "ExponentialSchedule",
    "CosineSchedule",
]

LearningRate = Union[float, Callable[[int], float]]


def _params(where: str, params: object) -> list:
    if isinstance(params, Module):
        params = params.parameters()
    if isinstance(params, Value):
        raise TypeError(f"{where}: params must be a list of Values (model.parameters()), got a single Value; "
                        "wrap it in a list")
    try:
        ps = list(params)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{where}: params must be a list of Values, got {type(params).__name__}") from None
    if not ps:
        raise ValueError(f"{where}: params is empty; pass model.parameters()")
    seen = set()
    for i, p in enumerate(ps):
        if not isinstance(p, Value):
            raise TypeError(f"{where}: params[{i}] must be a Value, got {type(p).__name__}")
        if p in seen:
            raise ValueError(f"{where}: params[{i}] ({p.label or 'unlabelled'}) appears twice; it would be updated "
                             "twice per step")
        seen.add(p)
    return ps


def _number(where: str, what: str, x: object, lo: float, hi: float = math.inf, lo_open: bool = False,
            hi_open: bool = True) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: {what} must be a number, got {type(x).__name__} {x!r}")
    f = float(x)
    ok = (f > lo if lo_open else f >= lo) and (f < hi if hi_open else f <= hi)
    if not (ok and math.isfinite(f)):
        left, right = "(" if lo_open else "[", ")" if hi_open else "]"
        raise ValueError(f"{where}: {what} must be in {left}{lo:g}, {hi:g}{right}, got {x!r}")
    return f


def _learning_rate(where: str, lr: object) -> LearningRate:
    if callable(lr):
        return lr
    return _number(where, "lr", lr, 0.0, lo_open=True)


class Optimizer(ABC):
    """Abstract base: ``params``, the learning rate ``lr`` (number or schedule), ``steps`` taken, ``zero_grad``."""

    def __init__(self, where: str, params: Iterable[Value], lr: LearningRate) -> None:
        self.params = _params(where, params)
        self.lr = _learning_rate(where, lr)
        self.steps = 0
        self._where = where

    @property
    def current_lr(self) -> float:
        """The learning rate the next :meth:`step` will use (the schedule evaluated at ``steps``)."""
        lr = self.lr
        if not callable(lr):
            return lr
        value = lr(self.steps)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value < 0:
            raise ValueError(f"{self._where}: the learning-rate schedule returned {value!r} at step {self.steps}; "
                             "it must return a finite number >= 0")
        return float(value)

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Set every parameter's ``.grad`` to 0.0, or to None with ``set_to_none=True`` (PyTorch's way)."""
        zero = None if set_to_none else 0.0
        for p in self.params:
            p.grad = zero

    @abstractmethod
    def step(self) -> None:
        """One update of every parameter from its gradient."""


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and weight decay (see the module docstring).

    Args:
        params: the parameters (``model.parameters()`` or a module).
        lr: learning rate > 0, or a schedule ``lr(step)``.
        momentum: μ in [0, 1).
        weight_decay: added ``weight_decay·θ`` to every gradient (all params given, biases included: for
            weights-only decay put :func:`nn.losses.l2_penalty` in the loss instead).
    """

    def __init__(self, params: Iterable[Value], lr: LearningRate, momentum: float = 0.0,
                 weight_decay: float = 0.0) -> None:
        super().__init__("SGD", params, lr)
        self.momentum = _number("SGD", "momentum", momentum, 0.0, 1.0)
        self.weight_decay = _number("SGD", "weight_decay", weight_decay, 0.0)
        self.velocity = [0.0] * len(self.params) if self.momentum else None

    def step(self) -> None:
        """One update of every parameter's ``.data`` from its ``.grad``."""
        lr = self.current_lr
        wd, mu = self.weight_decay, self.momentum
        if mu == 0.0 and wd == 0.0:
            for p in self.params:
                g = p.grad
                if g is not None:
                    p.data -= lr * g
        elif mu == 0.0:
            for p in self.params:
                g = p.grad
                if g is not None:
                    p.data -= lr * (g + wd * p.data)
        else:
            vel = self.velocity
            first = self.steps == 0
            for i, p in enumerate(self.params):
                g = p.grad
                if g is None:
                    continue
                if wd:
                    g = g + wd * p.data
                v = g if first else mu * vel[i] + g
                vel[i] = v
                p.data -= lr * v
        self.steps += 1


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction (see the module docstring).

    Args:
        params: the parameters.
        lr: learning rate > 0 (default 1e-3), or a schedule.
        betas: (β1, β2), each in [0, 1).
        eps: > 0, added to the denominator.
        weight_decay: L2 term added to the gradient, as in ``torch.optim.Adam``.
    """

    def __init__(self, params: Iterable[Value], lr: LearningRate = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__("Adam", params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_number("Adam", "beta1", betas[0], 0.0, 1.0), _number("Adam", "beta2", betas[1], 0.0, 1.0))
        self.eps = _number("Adam", "eps", eps, 0.0, lo_open=True)
        self.weight_decay = _number("Adam", "weight_decay", weight_decay, 0.0)
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """One Adam update of every parameter's ``.data``."""
        lr = self.current_lr
        b1, b2 = self.betas
        t = self.steps + 1
        c1, c2 = 1.0 - b1 ** t, 1.0 - b2 ** t
        wd, eps, m, v = self.weight_decay, self.eps, self.m, self.v
        sqrt = math.sqrt
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if wd:
                g = g + wd * p.data
            m[i] = mi = b1 * m[i] + (1.0 - b1) * g
            v[i] = vi = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= lr * (mi / c1) / (sqrt(vi / c2) + eps)
        self.steps += 1


# ---------------------------------------------------------------------------------------------------------------
# clipping
# ---------------------------------------------------------------------------------------------------------------
def clip_grad_norm(params: Iterable[Value], max_norm: float) -> float:
    """Scale all gradients by ``max_norm / ‖g‖`` when the global norm ``‖g‖ = sqrt(Σ g²)`` exceeds ``max_norm``.

    The norm is computed as ``m · sqrt(Σ (g/m)²)`` with ``m = max |g|``, so gradients around 1e200 (whose squares
    overflow) still give the right, finite norm. Returns the norm before clipping. A nan or infinite gradient is a
    ValueError (the gradients are already broken: lower the learning rate or look with
    ``autograd_core.detect_anomaly()``). Parameters whose grad is None are left out, as in PyTorch.
    """
    ps = [p for p in _params("clip_grad_norm", params) if p.grad is not None]
    limit = _number("clip_grad_norm", "max_norm", max_norm, 0.0, lo_open=True)
    grads = [p.grad for p in ps]
    if not grads:
        return 0.0
    if not all(map(math.isfinite, grads)):
        norm = math.nan if any(g != g for g in grads) else math.inf
        raise ValueError(f"clip_grad_norm: the gradient norm is {norm!r}; a gradient is nan or infinite "
                         "(lower the learning rate, or find it with autograd_core.detect_anomaly())")
    m = max(map(abs, grads))
    if m == 0.0:
        return 0.0
    root = math.sqrt(math.fsum((g / m) ** 2 for g in grads))  # in [1, sqrt(len)]: never overflows
    norm = m * root  # inf only if the true norm exceeds the largest float
    if norm > limit:
        scale = limit / root  # g · limit / norm as (g / m) · (limit / root): no overflow, even for an infinite norm
        for p in ps:
            p.grad = p.grad / m * scale
    return norm


def clip_grad_value(params: Iterable[Value], limit: float) -> None:
    """Clamp every gradient into ``[-limit, limit]`` (nan gradients are a ValueError; None grads are left alone)."""
    ps = _params("clip_grad_value", params)
    c = _number("clip_grad_value", "limit", limit, 0.0, lo_open=True)
    for p in ps:
        g = p.grad
        if g is None:
            continue
        if g != g:
            raise ValueError(f"clip_grad_value: the gradient of {p.label or 'a parameter'} is nan")
        if g > c:
            p.grad = c
        elif g < -c:
            p.grad = -c


# ---------------------------------------------------------------------------------------------------------------
# schedules: callables of the step index
# ---------------------------------------------------------------------------------------------------------------
class ConstantSchedule:
    """``lr(k) = lr``."""

    def __init__(self, lr: float) -> None:
        self.lr = _number("ConstantSchedule", "lr", lr, 0.0, lo_open=True)

    def __call__(self, step: int) -> float:
        return self.lr

    def __repr__(self) -> str:
        return f"ConstantSchedule({self.lr!r})"


class LinearSchedule:
    """``lr(k) = start + (end - start) · min(k, steps) / steps``: linear from ``start`` to ``end`` over ``steps``.

    micrograd's demo ``1.0 - 0.9 * k / 100`` is ``LinearSchedule(1.0, 0.1, 100)``.
    """

    def __init__(self, start: float, end: float, steps: int) -> None:
        self.start = _number("LinearSchedule", "start", start, 0.0)
        self.end = _number("LinearSchedule", "end", end, 0.0)
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
            raise ValueError(f"LinearSchedule: steps must be a positive int, got {steps!r}")
        self.steps = int(steps)

    def __call__(self, step: int) -> float:
        return self.start + (self.end - self.start) * min(step, self.steps) / self.steps

    def __repr__(self) -> str:
        return f"LinearSchedule({self.start!r}, {self.end!r}, {self.steps})"


class StepSchedule:
    """``lr(k) = lr · gamma^(k // every)``: multiply by ``gamma`` every ``every`` steps."""

    def __init__(self, lr: float, every: int, gamma: float = 0.1) -> None:
        self.lr = _number("StepSchedule", "lr", lr, 0.0, lo_open=True)
        if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
            raise ValueError(f"StepSchedule: every must be a positive int, got {every!r}")
        self.every = int(every)
        self.gamma = _number("StepSchedule", "gamma", gamma, 0.0, 1.0, lo_open=True, hi_open=False)

    def __call__(self, step: int) -> float:
        return self.lr * self.gamma ** (step // self.every)

    def __repr__(self) -> str:
        return f"StepSchedule({self.lr!r}, {self.every}, gamma={self.gamma!r})"


class ExponentialSchedule:
    """``lr(k) = lr · gamma^k``."""

    def __init__(self, lr: float, gamma: float) -> None:
        self.lr = _number("ExponentialSchedule", "lr", lr, 0.0, lo_open=True)
        self.gamma = _number("ExponentialSchedule", "gamma", gamma, 0.0, 1.0, lo_open=True, hi_open=False)

    def __call__(self, step: int) -> float:
        return self.lr * self.gamma ** step

    def __repr__(self) -> str:
        return f"ExponentialSchedule({self.lr!r}, {self.gamma!r})"


class CosineSchedule:
    """``lr(k) = lr_min + ½ (lr - lr_min)(1 + cos(π · min(k, steps) / steps))``: cosine annealing to ``lr_min``."""

    def __init__(self, lr: float, steps: int, lr_min: float = 0.0) -> None:
        self.lr = _number("CosineSchedule", "lr", lr, 0.0, lo_open=True)
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
            raise ValueError(f"CosineSchedule: steps must be a positive int, got {steps!r}")
        self.steps = int(steps)
        self.lr_min = _number("CosineSchedule", "lr_min", lr_min, 0.0, self.lr, hi_open=False)

    def __call__(self, step: int) -> float:
        frac = min(step, self.steps) / self.steps
        return self.lr_min + 0.5 * (self.lr - self.lr_min) * (1.0 + math.cos(math.pi * frac))

    def __repr__(self) -> str:
        return f"CosineSchedule({self.lr!r}, {self.steps}, lr_min={self.lr_min!r})"
