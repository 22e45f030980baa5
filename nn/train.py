"""Training: ``fit`` runs batch, stochastic or minibatch gradient descent and returns a :class:`History`.

One step on a batch B of m examples: forward every example, loss ``L = (1/m) Σ_{i∈B} loss(model(x_i), y_i)``
(+ ``l2_penalty(model, l2)`` = (λ/2) Σ w² over the weights, biases excluded), zero the gradients,
``L.backward()``, record the gradient norm ``‖g‖ = sqrt(Σ_p (∂L/∂p)²)``, clip it to ``clip_norm`` if asked
(``g ← g · clip_norm / ‖g‖`` when ``‖g‖ > clip_norm``, :func:`nn.optim.clip_grad_norm`), ``optimizer.step()``.

``reduction`` is the loss's reduction over the outputs of one sample (``"mean"``, the default, or ``"sum"``, see
:func:`nn.losses.with_reduction`); the batch is always averaged over its m examples, as notes 000's
``ĝ = (1/m) ∇ Σ_i L(f(x_i), y_i)``.

Ctrl-C: while ``fit`` runs in the main thread it takes over SIGINT. The first Ctrl-C lets the current step finish
(so the parameters are never half-updated) and then stops; a second one stops at once. Either way, and also when a
``KeyboardInterrupt`` is raised from inside a loss, a model or a callback, ``fit`` returns the history so far with
``interrupted=True``; a step that was cut short is not recorded and has changed no parameter.
"""

from __future__ import annotations

import math
import numbers
import os
import random
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Union

import autograd_core as ag
from autograd_core import Value, no_grad

from .data import batches
from .losses import accuracy_rule, get_loss, l2_penalty, with_reduction
from .module import Module
from .optim import clip_grad_norm

__all__ = ["fit", "evaluate", "batch_loss", "History", "Evaluation", "TrainingDiverged", "RECORDERS"]

# how fit(record=path) makes a recorder: nn.explore installs its Recorder here when imported (train never imports
# explore: it sits on a higher floor). A recorder has start(model, X, y, loss, reduction=, l2=), step(index, params)
# and finish(history) -> the view of the run (or None).
RECORDERS: dict = {}


@dataclass
class History:
    """What :func:`fit` recorded.

    Attributes:
        step_loss: the loss of every completed step (each optimizer update), in order.
        lr: the learning rate used at every completed step.
        epoch_loss: per completed epoch, the mean of its step losses weighted by batch size (for full-batch
            training it equals the step loss).
        accuracy: per completed epoch, the fraction of examples classified correctly by the outputs computed in its
            steps (before each update, as micrograd's demo reports it); None for regression losses.
        grad_norm: the global gradient norm ``sqrt(Σ_p (∂L/∂p)²)`` over all parameters at every completed step,
            before any clipping (what ``clip_norm`` compares with).
        epochs: number of completed epochs; steps: number of completed steps.
        interrupted: True if Ctrl-C (or a KeyboardInterrupt) stopped training.
        stopped_early: True if the callback asked to stop.
        explorer: with ``fit(..., record=...)``, the training explorer of the run (:class:`nn.explore.Explorer`,
            shown inline by Jupyter); None otherwise.
    """

    step_loss: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)
    accuracy: list | None = None
    grad_norm: list = field(default_factory=list)
    epochs: int = 0
    steps: int = 0
    interrupted: bool = False
    stopped_early: bool = False
    explorer: object = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        if not self.epoch_loss:
            return f"History: {self.steps} steps, no completed epoch{' (interrupted)' if self.interrupted else ''}"
        acc = f", accuracy {self.accuracy[-1]:.1%}" if self.accuracy else ""
        end = " (interrupted)" if self.interrupted else (" (stopped early)" if self.stopped_early else "")
        return (f"History: {self.epochs} epochs, {self.steps} steps, loss {self.epoch_loss[0]:.4g} -> "
                f"{self.epoch_loss[-1]:.4g}{acc}{end}")


class Evaluation(NamedTuple):
    """Mean loss over a data set and the accuracy (None for regression losses)."""

    loss: float
    accuracy: float | None


class TrainingDiverged(FloatingPointError):
    """The loss became nan or infinite; ``history`` holds everything recorded before that step."""

    def __init__(self, message: str, history: History) -> None:
        super().__init__(message)
        self.history = history


class _Sigint:
    """Defers Ctrl-C to the end of the current step (main thread only; leaves custom handlers alone)."""

    def __init__(self) -> None:
        self.requested = False
        self.previous = None

    def _handler(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _Sigint:
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


class _Progress:
    """A tqdm bar over epochs when tqdm is installed and stdout is a terminal; a plain status line without tqdm."""

    def __init__(self, enabled: bool, epochs: int) -> None:
        self.bar = None
        self.line = False
        self.epochs = epochs
        if not enabled or not sys.stdout.isatty():
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self.line = True
            return
        self.bar = tqdm(total=epochs, unit="epoch", file=sys.stdout, leave=True)

    def update(self, history: History) -> None:
        loss = history.epoch_loss[-1]
        acc = history.accuracy[-1] if history.accuracy else None
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.4g}", **({} if acc is None else {"acc": f"{acc:.1%}"}))
        elif self.line:
            extra = "" if acc is None else f" accuracy {acc:.1%}"
            print(f"\repoch {history.epochs}/{self.epochs} loss {loss:.4g}{extra}", end="", flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.line:
            print(flush=True)


def _check_model(where: str, model: object) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"{where}: model must be an nn.Module (Neuron, Layer, MLP), got {type(model).__name__}")


def batch_loss(model: Module, xb: Sequence, yb: Sequence, loss: Union[str, Callable], l2: float = 0.0,
               weights: list | None = None, *, reduction: str = "mean") -> tuple:
    """One batch's outputs and loss ``L = (1/m) Σ_i loss(model(x_i), y_i) + (λ/2) Σ w²`` (λ = ``l2``).

    Returns ``(outputs, L)``, ``outputs[i] = model(xb[i])`` (a list of Values, or a Value for a model with a single
    output). The penalty covers ``weights`` (default
    ``model.weights()``: biases are not regularised). ``reduction`` is the per-sample loss's reduction over its
    outputs (``"mean"`` or ``"sum"``, :func:`nn.losses.with_reduction`). This is what :func:`fit` differentiates at
    every step and what :func:`nn.delta.check` compares with the delta rule.
    """
    loss_fn = with_reduction(loss, reduction, "batch_loss")
    outs = [model(x) for x in xb]
    per = [loss_fn(o, t) for o, t in zip(outs, yb)]
    if not per:
        raise ValueError("batch_loss: the batch is empty")
    if not isinstance(per[0], Value):
        raise TypeError(f"fit: the loss must return a Value (built from the model's outputs), got "
                        f"{type(per[0]).__name__}")
    m = len(per)
    total = per[0] if m == 1 else ag.sum(per) * (1.0 / m)
    if l2:
        total = total + l2_penalty(model.weights() if weights is None else weights, l2)
    return outs, total


class _CompiledStep:
    """``step(xb, yb) -> (loss, outputs as floats)`` for ``fit(compile=True)``: :func:`batch_loss` plus backward,
    compiled with :func:`autograd_core.compile`; the outputs come back in the model's own form (a float per example
    for one output, else a list of floats) for the accuracy rule."""

    def __init__(self, model: Module, X: Sequence, loss_fn: Callable, l2: float, weights, batch_size) -> None:
        with no_grad():
            first = model(X[0])
        self.width = len(first) if isinstance(first, list) else None
        n_batches = 1 if batch_size is None else -(-len(X) // batch_size)

        def loss_and_outputs(xb, yb):
            outs, total = batch_loss(model, xb, yb, loss_fn, l2, weights)
            flat = [v for o in outs for v in o] if self.width is not None else list(outs)
            return total, flat

        self.step = ag.compile(loss_and_outputs, static_argnums=(1,), has_aux=True, max_tapes=n_batches + 2)

    def __call__(self, xb: Sequence, yb: Sequence) -> tuple:
        value, flat = self.step(xb, yb)
        w = self.width
        return value, (flat if w is None else [flat[i:i + w] for i in range(0, len(flat), w)])


def _grad_norm(params: list) -> float:
    """``sqrt(Σ g²)`` over the parameters' grads (None skipped), as ``m sqrt(Σ (g/m)²)``: no overflow; nan stays nan."""
    grads = [p.grad for p in params if p.grad is not None]
    if any(g != g for g in grads):
        return math.nan
    m = max(map(abs, grads), default=0.0)
    if m == 0.0 or m == math.inf:
        return m
    return m * math.sqrt(math.fsum((g / m) ** 2 for g in grads))


def _recorder(record: object) -> object:
    """The recorder for ``fit(record=...)``: None, one made from a path by :data:`RECORDERS`, or the object itself."""
    if record is None:
        return None
    if isinstance(record, (str, os.PathLike)):
        make = RECORDERS.get("html")
        if make is None:
            raise RuntimeError("fit: record=path needs the training explorer: import nn.explore (import nn does it)")
        return make(record, where="fit")
    if all(callable(getattr(record, name, None)) for name in ("start", "step", "finish")):
        return record
    raise TypeError(f"fit: record must be None, a path ending in .html or an nn.explore.Recorder, got "
                    f"{type(record).__name__} {record!r:.80}")


def fit(model: Module, X: Sequence, y: Sequence, loss: Union[str, Callable], optimizer, epochs: int,
        batch_size: int | None = None, progress: bool = True, *, l2: float = 0.0, shuffle: bool = True,
        seed: Union[int, None, random.Random] = None, accuracy: Union[None, bool, Callable] = None,
        callback: Callable[[History], bool | None] | None = None, reduction: str = "mean",
        clip_norm: float | None = None, compile: bool = False, record: object = None) -> History:  # noqa: A002
    """Train ``model`` on ``(X, y)`` for ``epochs`` passes and return the :class:`History`.

    Args:
        model: an nn module; ``model(x)`` returns a list of Values (a Value for a single output).
        X, y: examples and targets (one target per example, in the form the loss takes).
        loss: a per-example loss ``loss(outputs, target) -> Value`` or a name from :data:`nn.losses.LOSSES`.
        optimizer: an :class:`nn.optim.SGD`, :class:`nn.optim.Adam` or any object with ``zero_grad()`` and
            ``step()``.
        epochs: number of passes over the data (a positive int).
        batch_size: None (batch gradient descent), 1 (stochastic) or m (minibatch); see :func:`nn.data.batches`.
        progress: show a progress bar (tqdm, when installed and stdout is a terminal).
        l2: λ of the weight penalty (λ/2) Σ w² added to every step's loss (biases are not regularised).
        shuffle, seed: example order per epoch; a seed makes the whole run reproducible.
        accuracy: None (automatic: recorded for classification losses), False (never), or a callable
            ``correct(outputs, target) -> bool`` (``outputs`` as the model call returns them).
        callback: called as ``callback(history)`` after every epoch; return True to stop.
        reduction: how the loss of one sample combines its outputs: ``"mean"`` (the default, ``(1/N) Σ_i``) or
            ``"sum"`` (``Σ_i``, the form of notes 000 and 001) for the elementwise losses
            (:data:`nn.losses.ELEMENTWISE_LOSSES`). The batch is averaged over its examples either way.
        clip_norm: None (no clipping) or a positive number: after every backward pass, when the global gradient
            norm ``‖g‖`` exceeds it, every gradient is scaled by ``clip_norm / ‖g‖``
            (:func:`nn.optim.clip_grad_norm`, notes 003's remedy for exploding gradients). ``history.grad_norm``
            records ``‖g‖`` before clipping either way.
        compile: run each step through :func:`autograd_core.compile`: the batch's forward and backward are traced
            once and replayed on floats, bit-identical to graph mode and several times faster. Needs fixed batches
            (``batch_size=None``, or ``shuffle=False``): each batch of targets has a tape of its own.
        record: None, or a path ending in ``.html`` (its folder must exist), or an :class:`nn.explore.Recorder`:
            record the run and write the training explorer (:mod:`nn.explore`), one self-contained page with the
            loss curve, the network diagram per step and the decision boundary for 2-D inputs. The recorder only
            reads the parameters (their values and gradients after each backward pass, before clipping and the
            update), so the run is bit-identical to an unrecorded one. The page is written atomically when fit
            returns (also after an early stop or Ctrl-C), never when it raises; ``history.explorer`` holds it.

    Raises :class:`TrainingDiverged` (a FloatingPointError carrying the history) if the loss or the gradient norm
    becomes nan or infinite or an op overflows; bad targets surface as the loss's ValueError.
    """
    _check_model("fit", model)
    loss_fn = with_reduction(loss, reduction, "fit")
    plain_loss = get_loss(loss)
    if clip_norm is not None and (isinstance(clip_norm, bool) or not isinstance(clip_norm, numbers.Real)
                                  or not clip_norm > 0 or not math.isfinite(clip_norm)):
        raise ValueError(f"fit: clip_norm must be None (no clipping) or a finite number > 0, got {clip_norm!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(f"fit: optimizer must have step() and zero_grad() (nn.optim.SGD, nn.optim.Adam), got "
                        f"{type(optimizer).__name__}")
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"fit: l2 must be a finite number >= 0, got {l2!r}")
    if callback is not None and not callable(callback):
        raise TypeError(f"fit: callback must be callable, got {type(callback).__name__}")
    if accuracy is None:
        rule = accuracy_rule(plain_loss)
    elif accuracy is False:
        rule = None
    elif callable(accuracy) and accuracy is not True:
        rule = accuracy
    else:
        raise TypeError("fit: accuracy must be None (automatic), False or a callable correct(outputs, target)")
    batches(X, y, batch_size)  # validates X, y and batch_size before anything runs
    if compile and batch_size is not None and shuffle:
        raise ValueError("fit: compile=True needs fixed batches (batch_size=None or shuffle=False): each new batch "
                         "of targets is a new trace")
    recorder = _recorder(record)
    if recorder is not None:  # checks the model, data and loss against what the page can show, before any step
        recorder.start(model, X, y, loss, reduction=reduction, l2=l2)
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    weights = model.weights() if l2 else None
    params = model.parameters()
    compiled = _CompiledStep(model, X, loss_fn, l2, weights, batch_size) if compile else None
    history = History(accuracy=[] if rule is not None else None)
    bar = None
    with _Sigint() as sigint:
        try:
            bar = _Progress(progress, int(epochs))
            for _ in range(int(epochs)):
                epoch_sum, epoch_n, epoch_steps, correct = 0.0, 0, 0, 0
                for xb, yb in batches(X, y, batch_size, shuffle, rng):
                    try:
                        lr = getattr(optimizer, "current_lr", None)
                        if compiled is not None:
                            for p in params:
                                p.grad = 0.0
                            optimizer.zero_grad()
                            value, outs = compiled(xb, yb)
                            if not math.isfinite(value):
                                raise OverflowError(f"the loss is {value!r}")
                        else:
                            outs, total = batch_loss(model, xb, yb, loss_fn, l2, weights)
                            value = total.data
                            if not math.isfinite(value):
                                raise OverflowError(f"the loss is {value!r}")
                            for p in params:
                                p.grad = 0.0
                            optimizer.zero_grad()
                            total.backward()
                        norm = _grad_norm(params)
                        if not math.isfinite(norm):
                            raise OverflowError(f"the gradient norm is {norm!r}")
                        if recorder is not None:
                            recorder.step(history.steps, params)
                        if clip_norm is not None:
                            clip_grad_norm(params, clip_norm)
                    except OverflowError as e:
                        raise TrainingDiverged(f"fit: training diverged at step {history.steps} (epoch "
                                               f"{history.epochs}): {e}; lower the learning rate, clip the "
                                               "gradients or look with autograd_core.detect_anomaly()",
                                               history) from e
                    optimizer.step()
                    m = len(xb)
                    history.step_loss.append(value)
                    history.lr.append(lr)
                    history.grad_norm.append(norm)
                    history.steps += 1
                    epoch_sum += value * m
                    epoch_n += m
                    epoch_steps += 1
                    if rule is not None:
                        correct += sum(1 for o, t in zip(outs, yb) if rule(o, t))
                    if sigint.requested:
                        raise KeyboardInterrupt
                # one step per epoch (full batch): its loss exactly, not value * m / m with rounding
                history.epoch_loss.append(history.step_loss[-1] if epoch_steps == 1 else epoch_sum / epoch_n)
                if history.accuracy is not None:
                    history.accuracy.append(correct / epoch_n)
                history.epochs += 1
                bar.update(history)
                if callback is not None and callback(history):
                    history.stopped_early = True
                    break
                if sigint.requested:
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            history.interrupted = True
        finally:
            if bar is not None:
                bar.close()
    if recorder is not None:
        history.explorer = recorder.finish(history)
    return history


def evaluate(model: Module, X: Sequence, y: Sequence, loss: Union[str, Callable],
             accuracy: Union[None, bool, Callable] = None, *, reduction: str = "mean") -> Evaluation:
    """Mean loss and accuracy of ``model`` on ``(X, y)``, computed under ``no_grad`` (nothing is trained).

    ``reduction`` is the per-sample loss's reduction over its outputs, as in :func:`fit`.
    """
    _check_model("evaluate", model)
    loss_fn = with_reduction(loss, reduction, "evaluate")
    rule = accuracy_rule(get_loss(loss)) if accuracy is None else (None if accuracy is False else accuracy)
    batches(X, y, None)  # validates X and y
    with no_grad():
        outs = [model(x) for x in X]
        losses = [float(loss_fn(o, t)) for o, t in zip(outs, y)]
    acc = None if rule is None else sum(1 for o, t in zip(outs, y) if rule(o, t)) / len(losses)
    return Evaluation(sum(losses, 0.0) / len(losses), acc)
