"""micrograd's demo training step in PyTorch float64 0-d tensors, against ours, step by step.

PyTorch builds the same scalar graph as micrograd and autograd-core: every weight is its own 0-d ``float64``
tensor with ``requires_grad=True``, a neuron is ``b + w_0 x_0 + w_1 x_1 + ...`` added left to right then
``relu``, the loss is the mean of ``relu(1 - y s)`` over the 100 points plus ``1e-4 Σ p²`` (each sum a chain of
scalar adds, as Python's ``sum`` makes it in micrograd's demo), then ``backward()`` and the SGD update
``p -= lr p.grad`` under ``no_grad``. This is how a user would port micrograd's demo to PyTorch scalar by scalar; it
is not how PyTorch is meant to be used (batched tensors), and the benchmark says so.

All three start from micrograd's initial weights (``random.seed(1337)``; ``nn.MLP(..., init="uniform",
seed=1337)`` draws exactly the same numbers). ``run()`` times PyTorch's step and ours alternately (garbage
collector on and never forced, so its collections land where they would in a user's loop and are timed;
``torch.set_num_threads(1)``) and checks that the two loss trajectories agree to 1e-9.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

import autograd_core as ag
import nn
from nn.losses import hinge, l2_penalty

__all__ = ["ALPHA", "SEED", "LOSS_TOLERANCE", "torch_or_note", "learning_rate", "our_model", "our_step",
           "torch_params", "torch_step", "run"]

ALPHA = 1e-4  # micrograd's demo: 1e-4 Σ p² over every parameter
SEED = 1337
LOSS_TOLERANCE = 1e-9


def torch_or_note() -> tuple:
    """``(torch module, version)`` or ``(None, a note saying why it is absent)``."""
    try:
        import torch
    except ImportError:
        return None, "PyTorch is not installed (pip install torch==2.13.0, CPU wheels): its column is skipped"
    return torch, torch.__version__


def learning_rate(k: int) -> float:
    """micrograd's schedule: ``1 - 0.9 k / 100`` at step k."""
    return 1.0 - 0.9 * k / 100


def our_model(seed: int = SEED) -> tuple:
    """``(model, params, optimizer)``: micrograd's demo model on autograd-core, micrograd's initial weights."""
    model = nn.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=seed)
    params = model.parameters()
    return model, params, nn.SGD(params, lr=learning_rate)


def our_step(model: nn.MLP, params: list, optimizer: nn.SGD, X: list, y: list) -> float:
    """One step of micrograd's demo on autograd-core; returns the loss before the update."""
    total = ag.sum([hinge(model(x), t) for x, t in zip(X, y)]) * (1.0 / len(X)) + l2_penalty(params, 2.0 * ALPHA)
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    return total.data


def torch_params(torch, model: nn.MLP) -> tuple:
    """The model's weights as 0-d float64 leaf tensors: ``(layers, flat list)``; layers = [(W rows, b list), ...]."""
    layers, flat = [], []
    for layer in model.layers:
        W = [[torch.tensor(w.data, dtype=torch.float64, requires_grad=True) for w in row] for row in layer.W]
        b = [torch.tensor(v.data, dtype=torch.float64, requires_grad=True) for v in layer.b]
        layers.append((W, b))
        for row, bj in zip(W, b):
            flat.extend(row)
            flat.append(bj)
    return layers, flat


def torch_step(torch, layers: list, params: list, X: list, y: list, k: int) -> float:
    """micrograd's demo step in 0-d tensors: forward, hinge + L2, backward, SGD; returns the loss."""
    relu = torch.relu
    scores = []
    for x in X:
        a = x
        last = len(layers) - 1
        for li, (W, b) in enumerate(layers):
            out = []
            for row, bj in zip(W, b):
                act = bj
                for w, xi in zip(row, a):
                    act = act + w * xi
                out.append(act if li == last else relu(act))
            a = out
        scores.append(a[0])
    losses = [relu(1.0 - yi * si) for yi, si in zip(y, scores)]
    data_loss = sum(losses[1:], losses[0]) * (1.0 / len(losses))
    reg_loss = ALPHA * sum((p * p for p in params[1:]), params[0] * params[0])
    total = data_loss + reg_loss
    for p in params:
        p.grad = None
    total.backward()
    lr = learning_rate(k)
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad
    return total.item()


def _timed(step: Callable, *args) -> tuple:
    # no gc.collect() first: the collector runs whenever it would in a user's loop, and its cost is in the time
    t = time.perf_counter()
    loss = step(*args)
    return time.perf_counter() - t, loss


def run(X: list, y: list, steps: int = 10, seed: int = SEED, log: Callable[[str], None] | None = None) -> dict:
    """Time ``steps`` steps of PyTorch 0-d tensors and of autograd-core, alternately, on the data ``(X, y)``.

    Returns ``torch_ms`` and ``ours_ms`` (medians), ``speedup`` (torch / ours), ``max_loss_diff`` and
    ``losses_agree`` (the two trajectories within 1e-9), the losses, ``torch`` (version), ``threads``, ``note``;
    without PyTorch the torch figures are None and ``note`` says why.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"peers.run: steps must be a positive int, got {steps!r}")
    say = log or (lambda message: None)
    torch, version = torch_or_note()
    model, params, optimizer = our_model(seed)
    result: dict = {"steps": steps, "torch": None, "threads": None, "torch_ms": None, "ours_ms": None,
                    "speedup": None, "max_loss_diff": None, "losses_agree": None, "losses": [],
                    "torch_losses": [], "note": ""}
    if torch is None:
        result["note"] = version
        return result
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        layers, tparams = torch_params(torch, model)
        gc.collect()  # garbage left by whatever ran before (micrograd's graphs are cycles) is not charged to us
        ours_t, torch_t = [], []
        for k in range(steps):
            say(f"PyTorch 0-d tensors vs autograd-core: step {k + 1}/{steps} ...")
            dt, loss = _timed(torch_step, torch, layers, tparams, X, y, k)
            torch_t.append(dt)
            result["torch_losses"].append(loss)
            dt, loss = _timed(our_step, model, params, optimizer, X, y)
            ours_t.append(dt)
            result["losses"].append(loss)
    finally:
        torch.set_num_threads(threads)
    diff = max(abs(a - b) for a, b in zip(result["losses"], result["torch_losses"]))
    result.update(torch=version, threads=1, torch_ms=1e3 * statistics.median(torch_t),
                  ours_ms=1e3 * statistics.median(ours_t), max_loss_diff=diff, losses_agree=diff <= LOSS_TOLERANCE)
    result["speedup"] = result["torch_ms"] / result["ours_ms"]
    return result
