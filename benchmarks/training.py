"""One training step of micrograd's demo model, ours against micrograd 0.1.0: ``python -m benchmarks.training``.

The model is micrograd's demo: ``MLP(2, [16, 16, 1])`` with ReLU hidden layers and a linear output (337 parameters),
trained on 100 two-moons points (noise 0.1, seeded) with the SVM hinge loss ``mean(relu(1 - y·score))`` plus
``1e-4 · Σ p²`` over all parameters (biases included, as in micrograd's demo) and SGD with learning rate
``1 - 0.9·k/100`` at step k. Both libraries start from the same weights (micrograd draws them with
``random.uniform(-1, 1)`` from the global ``random`` state, seeded here; we copy them into our model), so their loss
trajectories must agree to 1e-9.

Each step is timed on its own, with gc enabled and after a ``gc.collect()``; the libraries take turns step by step;
the table shows the median.
``run()`` returns the figures as a dict; ``main()`` prints them as a markdown table.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import time

import autograd_core as ag
import nn
from nn.losses import hinge, l2_penalty

__all__ = ["run", "main", "make_moons", "micrograd_model", "copy_micrograd_weights", "micrograd_demo_step"]

ALPHA = 1e-4
LOSS_TOLERANCE = 1e-9


def _learning_rate(k: int) -> float:
    return 1.0 - 0.9 * k / 100


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 1) -> tuple:
    """Two interleaving half circles: ``(X, y)`` with X a list of [x1, x2] and y in {-1, +1}.

    Uses ``sklearn.datasets.make_moons(n, noise=noise, random_state=seed)`` when scikit-learn is installed, else the
    same construction with a private ``random.Random(seed)`` (different points, same distribution).
    """
    try:
        from sklearn.datasets import make_moons as sk_make_moons
    except ImportError:
        rng = random.Random(seed)
        n_out = n // 2
        n_in = n - n_out
        points = []
        for i in range(n_out):
            t = math.pi * i / max(n_out - 1, 1)
            points.append(([math.cos(t), math.sin(t)], -1.0))
        for i in range(n_in):
            t = math.pi * i / max(n_in - 1, 1)
            points.append(([1.0 - math.cos(t), 0.5 - math.sin(t)], 1.0))
        rng.shuffle(points)
        X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for (a, b), _ in points]
        return X, [label for _, label in points], "builtin make_moons (scikit-learn not installed)"
    X, y = sk_make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.tolist(), [float(2 * v - 1) for v in y], "sklearn.datasets.make_moons"


def micrograd_model(seed: int):
    """micrograd's ``MLP(2, [16, 16, 1])`` drawn from the global ``random`` seeded with ``seed`` (state restored)."""
    from micrograd.nn import MLP as MicrogradMLP

    state = random.getstate()
    random.seed(seed)
    try:
        return MicrogradMLP(2, [16, 16, 1])
    finally:
        random.setstate(state)


def copy_micrograd_weights(source, target: nn.MLP) -> None:
    """Copy micrograd's weights (``layers[l].neurons[j].w[k]``, ``.b``) into our ``layers[l].W[j][k]``, ``b[j]``."""
    for theirs, ours in zip(source.layers, target.layers):
        for j, neuron in enumerate(theirs.neurons):
            for k, w in enumerate(neuron.w):
                ours.W[j][k].data = float(w.data)
            ours.b[j].data = float(neuron.b.data)


def _our_step(model: nn.MLP, params: list, optimizer: nn.SGD, X: list, y: list, phases: dict) -> float:
    t0 = time.perf_counter()
    losses = [hinge(model(x), t) for x, t in zip(X, y)]
    total = ag.sum(losses) * (1.0 / len(losses)) + l2_penalty(params, 2.0 * ALPHA)  # (λ/2)Σp² = α Σp²
    t1 = time.perf_counter()
    optimizer.zero_grad()
    total.backward()
    t2 = time.perf_counter()
    optimizer.step()
    t3 = time.perf_counter()
    phases["forward + loss"].append(t1 - t0)
    phases["backward"].append(t2 - t1)
    phases["update"].append(t3 - t2)
    return total.data


def micrograd_demo_step(V: type, model, X: list, y: list, k: int) -> float:
    """Step ``k`` of micrograd's demo loop, verbatim apart from the accuracy bookkeeping, with ``V`` as the Value
    class (micrograd's, ours, or another engine's); returns the loss."""
    inputs = [list(map(V, row)) for row in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    for p in model.parameters():  # what micrograd's model.zero_grad() does
        p.grad = 0
    total.backward()
    lr = _learning_rate(k)
    for p in model.parameters():
        p.data -= lr * p.grad
    return total.data


def _micrograd_step(model, X: list, y: list, k: int) -> float:
    from micrograd.engine import Value as MicrogradValue

    return micrograd_demo_step(MicrogradValue, model, X, y, k)


def _timed(step, *args) -> tuple:
    gc.collect()  # every timed step starts from the same collector state; gc stays enabled while it runs
    t = time.perf_counter()
    loss = step(*args)
    return time.perf_counter() - t, loss


def run(steps: int = 10, seed: int = 1337, data_seed: int = 1) -> dict:
    """Run ``steps`` training steps with each library from the same initial weights and return the figures.

    The libraries take turns step by step (ours, ours without scopes, micrograd), so a change in machine load
    affects all of them alike.

    Keys: ``steps``, ``data``, ``ours_ms`` (median ms per step), ``ours_noscope_ms`` (``scopes="none"``),
    ``phases_ms`` (our median forward + loss / backward / update), ``micrograd_ms`` and ``speedup`` (None without
    micrograd), ``max_loss_diff`` and ``losses_agree`` (trajectories within 1e-9), ``losses`` (ours),
    ``micrograd_losses``, ``note``.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"run: steps must be a positive int, got {steps!r}")
    X, y, data = make_moons(100, 0.1, data_seed)
    try:
        mg = micrograd_model(seed)
        note = ""
    except ImportError:
        mg = None
        note = "micrograd is not installed (pip install micrograd==0.1.0): its column is skipped"
    ours = {}
    for scopes in ("layer", "none"):
        model = nn.MLP(2, [16, 16, 1], activation="relu", output_activation="linear", init="uniform", seed=seed,
                       scopes=scopes)
        if mg is not None:
            copy_micrograd_weights(mg, model)
        params = model.parameters()
        ours[scopes] = (model, params, nn.SGD(params, lr=_learning_rate))
    phases: dict = {"forward + loss": [], "backward": [], "update": []}
    unused: dict = {"forward + loss": [], "backward": [], "update": []}
    times: dict = {"layer": [], "none": [], "micrograd": []}
    losses: dict = {"layer": [], "none": [], "micrograd": []}
    for k in range(steps):
        for scopes, (model, params, optimizer) in ours.items():
            record = phases if scopes == "layer" else unused
            dt, loss = _timed(_our_step, model, params, optimizer, X, y, record)
            times[scopes].append(dt)
            losses[scopes].append(loss)
        if mg is not None:
            dt, loss = _timed(_micrograd_step, mg, X, y, k)
            times["micrograd"].append(dt)
            losses["micrograd"].append(loss)
    ours_ms = 1e3 * statistics.median(times["layer"])
    diffs = [abs(a - b) for a, b in zip(losses["layer"], losses["none"])]
    result = {
        "steps": steps,
        "data": data,
        "ours_ms": ours_ms,
        "ours_noscope_ms": 1e3 * statistics.median(times["none"]),
        "phases_ms": {name: 1e3 * statistics.median(ts) for name, ts in phases.items()},
        "micrograd_ms": None,
        "speedup": None,
        "losses": losses["layer"],
        "micrograd_losses": None,
        "note": note,
    }
    if mg is not None:
        diffs += [abs(a - b) for a, b in zip(losses["layer"], losses["micrograd"])]
        result["micrograd_ms"] = 1e3 * statistics.median(times["micrograd"])
        result["speedup"] = result["micrograd_ms"] / ours_ms
        result["micrograd_losses"] = losses["micrograd"]
    result["max_loss_diff"] = max(diffs)
    result["losses_agree"] = result["max_loss_diff"] <= LOSS_TOLERANCE
    return result


def main(argv=None) -> None:
    """Print :func:`run`'s figures as a markdown table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.training", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="training steps per library (default 10)")
    parser.add_argument("--seed", type=int, default=1337, help="seed of the initial weights (default 1337)")
    args = parser.parse_args(argv)
    r = run(args.steps, args.seed)
    print(f"One training step of MLP(2, [16, 16, 1]) on 100 two-moons points ({r['data']}), hinge + 1e-4 L2, SGD; "
          f"median of {r['steps']} steps, gc enabled.\n")
    print("| implementation | ms per step | speedup vs micrograd |")
    print("|---|---:|---:|")
    if r["micrograd_ms"] is not None:
        print(f"| micrograd 0.1.0 | {r['micrograd_ms']:.1f} | 1.0x |")
        print(f"| autograd-core nn (scopes per layer, default) | {r['ours_ms']:.1f} | {r['speedup']:.1f}x |")
        print(f"| autograd-core nn (scopes='none') | {r['ours_noscope_ms']:.1f} | "
              f"{r['micrograd_ms'] / r['ours_noscope_ms']:.1f}x |")
    else:
        print(f"| autograd-core nn (scopes per layer, default) | {r['ours_ms']:.1f} | n/a |")
        print(f"| autograd-core nn (scopes='none') | {r['ours_noscope_ms']:.1f} | n/a |")
    phases = ", ".join(f"{name} {ms:.1f} ms" for name, ms in r["phases_ms"].items())
    print(f"\nOur step: {phases}.")
    agree = "agree" if r["losses_agree"] else "DISAGREE"
    print(f"Loss trajectories {agree}: max difference {r['max_loss_diff']:.2e} over {r['steps']} steps "
          f"(tolerance {LOSS_TOLERANCE:g}); first loss {r['losses'][0]:.6f}, last {r['losses'][-1]:.6f}.")
    if r["note"]:
        print(f"\nNote: {r['note']}")


if __name__ == "__main__":
    main()
