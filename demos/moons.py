"""micrograd's demo on autograd-core: a 2-16-16-1 ReLU network learns the two moons, to 100% training accuracy.

The same problem, model and schedule as micrograd's ``demo.ipynb``: 100 two-moons points (noise 0.1, the data of
``numpy.random.seed(1337)``), ``nn.MLP(2, [16, 16, 1], activation="relu")`` with micrograd's initialisation
(uniform in [-1, 1], biases 0, ``random.seed(1337)``: the very same initial weights), the SVM hinge loss
``max(0, 1 - y s)`` averaged over the points plus ``1e-4 Σ p²`` over all parameters, and 100 steps of full-batch
gradient descent with learning rate ``1 - 0.9 k / 100`` at step k. Every step builds the graph of the whole batch
(about 38 000 nodes), backpropagates through it and updates the 337 parameters. The demo ends with the
decision-boundary plot and the delta rule of notes 000, computed by hand, checked against the engine's gradients.

Run: ``python -m demos.moons [--quick] [--out DIR] [--compile] [--record]``. ``--quick`` trains exactly the same 100
steps and only draws a coarser decision-boundary plot. ``--record`` also writes ``run.html`` into the output folder:
the training explorer (:mod:`nn.explore`) of the run, with every step's loss, weights, gradients and decision
boundary (recording only reads the parameters: the losses are the same, bit for bit).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import autograd_core as ag
import nn
import nn.explore  # the training explorer (--record); nn.explore registers itself with nn.train
from nn import losses

from ._common import imports_frozen, new_figure, parse_args, run, save_figure

__all__ = ["main", "make_data", "build_model", "loss_and_accuracy", "SEED", "L2"]

SEED = 1337
L2 = 1e-4  # micrograd's alpha: the penalty is 1e-4 Σ p² over every parameter, biases included


def make_data(n: int = 100, noise: float = 0.1, seed: int = SEED) -> tuple:
    """micrograd's data: ``sklearn.datasets.make_moons(n, noise)`` with numpy's seed 1337, labels mapped to -1/+1.

    Returns ``(X, y)`` as lists. Needs scikit-learn (``pip install 'autograd-core[demos]'``).
    """
    try:
        from sklearn.datasets import make_moons
    except ImportError as e:
        raise ImportError("the moons demo needs scikit-learn for its data: pip install 'autograd-core[demos]'") from e
    X, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return X.tolist(), [2 * int(t) - 1 for t in y]


def build_model(seed: int = SEED) -> nn.MLP:
    """``MLP(2, [16, 16, 1])``: ReLU hidden layers, linear output, micrograd's uniform [-1, 1] initialisation."""
    return nn.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=seed, scopes="none")


def loss_and_accuracy(model: nn.MLP, X: list, y: list) -> tuple:
    """``(total loss Value, accuracy)``: mean hinge loss + ``1e-4 Σ p²``, and the fraction with ``sign(s) == y``."""
    scores = [model(x) for x in X]  # one Value per point: the model has a single output
    data_loss = ag.sum([losses.hinge(s, t) for s, t in zip(scores, y)]) * (1.0 / len(X))
    total = data_loss + losses.l2_penalty(model.parameters(), 2 * L2)  # l2_penalty is (λ/2) Σ p²
    accuracy = sum((s.data > 0) == (t > 0) for s, t in zip(scores, y)) / len(X)
    return total, accuracy


def _loss_and_scores(model: nn.MLP, X: list, y: list) -> tuple:
    # what --compile traces: loss_and_accuracy's loss, with the scores returned instead of read (a read is a guard)
    scores = [model(x) for x in X]
    data_loss = ag.sum([losses.hinge(s, t) for s, t in zip(scores, y)]) * (1.0 / len(X))
    return data_loss + losses.l2_penalty(model.parameters(), 2 * L2), scores


def _boundary_plot(model: nn.MLP, X: list, y: list, h: float, title: str):
    """The decision regions (sign of the score), the boundary (score 0) and the points, labelled and with a legend."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    x_min, x_max = min(p[0] for p in X) - 1.0, max(p[0] for p in X) + 1.0
    y_min, y_max = min(p[1] for p in X) - 1.0, max(p[1] for p in X) + 1.0
    gx = [x_min + h * i for i in range(int((x_max - x_min) / h) + 1)]
    gy = [y_min + h * j for j in range(int((y_max - y_min) / h) + 1)]
    zz = [[model.predict([a, b]) for a in gx] for b in gy]  # the score s: a model with one output gives a float
    fig = new_figure(6.4, 5.6)
    ax = fig.add_subplot()
    lo, hi = min(min(row) for row in zz), max(max(row) for row in zz)
    colors = {-1: ("#9ecae1", "#08519c"), 1: ("#fcbba1", "#a50f15")}  # (region, points) per class
    ax.contourf(gx, gy, zz, levels=[min(lo, -1.0) - 1.0, 0.0, max(hi, 1.0) + 1.0],
                colors=[colors[-1][0], colors[1][0]], alpha=0.8)
    ax.contour(gx, gy, zz, levels=[0.0], colors="k", linewidths=1.2)
    for label in (-1, 1):
        points = [p for p, t in zip(X, y) if t == label]
        ax.scatter([p[0] for p in points], [p[1] for p in points], color=colors[label][1], s=28, edgecolors="w",
                   linewidths=0.5, label=f"training point, class {label:+d}")
    points, _ = ax.get_legend_handles_labels()
    # two columns, filled column by column: each class's points beside the region the model gives it
    handles = points + [Line2D([], [], color="k", linewidth=1.2, label="decision boundary (score = 0)"),
                        Patch(color=colors[-1][0], label="model says -1 (score < 0)"),
                        Patch(color=colors[1][0], label="model says +1 (score > 0)")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8, frameon=False)
    ax.set_xlim(gx[0], gx[-1])
    ax.set_ylim(gy[0], gy[-1])
    ax.set_xlabel("x1 (first input)")
    ax.set_ylabel("x2 (second input)")
    ax.set_title(title, fontsize=10)
    return fig


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return ``accuracy`` (after training), ``losses``, ``accuracies``, ``seconds_per_step``, ..."""
    args = parse_args("moons", "micrograd's demo on autograd-core: MLP(2, [16, 16, 1]) on two moons, hinge loss, "
                      "100 steps of SGD, 100% training accuracy.", argv,
                      "the same training, a coarser decision-boundary plot",
                      flags=[("--compile", "replay every step with autograd_core.compile: the same losses, bit for "
                                           "bit, in less time (the first step pays for the trace)"),
                             ("--record", "also write run.html, the training explorer: play the run step by step "
                                          "(loss, weights, gradients, decision boundary) in a browser, offline")])
    steps = 100
    X, y = make_data()
    model = build_model()
    params = model.parameters()
    opt = nn.SGD(params, lr=lambda k: 1.0 - 0.9 * k / steps)
    print("autograd-core · micrograd's two-moons demo")
    print(f"data  100 points, noise 0.1 · model MLP(2, [16, 16, 1]) ReLU, {model.num_parameters()} parameters")
    print(f"loss  hinge + 1e-4 Σ p² · optimizer full-batch SGD, lr 1 - 0.9 k/{steps}, {steps} steps\n")
    print(" step   loss      accuracy   lr")
    history, accuracies, lrs, nodes = [], [], [], 0
    recorder = None
    if args.flags["record"]:  # reads every step's weights and gradients; the run itself is unchanged
        recorder = nn.explore.Recorder(args.out / "run.html", title="micrograd's two moons: MLP(2, [16, 16, 1]), "
                                       "hinge loss")
        recorder.start(model, X, y, "hinge")
    # with --compile: the loss and the scores (floats for the accuracy, read without a guard), traced once
    step = ag.compile(lambda X: _loss_and_scores(model, X, y), has_aux=True) if args.flags["compile"] else None
    start = time.perf_counter()
    with imports_frozen():  # the collector would re-walk scikit-learn's objects on every step: twice the time
        for k in range(steps):
            lr = opt.current_lr
            if step is not None:
                opt.zero_grad()
                value, scores = step(X)  # forward and backward replayed on floats; .grad written as backward does
                acc = sum((s > 0) == (t > 0) for s, t in zip(scores, y)) / len(X)
                nodes = step.tapes()[0]["nodes"]
            else:
                total, acc = loss_and_accuracy(model, X, y)
                if k == 0:
                    nodes = len(ag.topological_order(total))
                opt.zero_grad()
                total.backward()
                value = total.data
                del total  # free this step's graph now, not after the next one is built: less for the collector
            if recorder is not None:
                recorder.step(k, params)
            opt.step()
            history.append(value)
            lrs.append(lr)
            accuracies.append(acc)
            if k % 10 == 0 or k == steps - 1:
                print(f" {k:4d}   {value:.6f}  {acc:7.1%}    {lr:.3f}")
    seconds = time.perf_counter() - start
    with ag.no_grad():
        final_loss, final_acc = loss_and_accuracy(model, X, y)
    check = nn.delta.check(model, X, y, "hinge")

    h = 0.25 if args.quick else 0.1
    fig = _boundary_plot(model, X, y, h, f"MLP(2, [16, 16, 1]) after {steps} steps: training accuracy "
                         f"{final_acc:.0%}")
    path = save_figure(fig, args.out / "moons_boundary.png")
    files = [str(path)]
    if recorder is not None:
        recorder.finish(nn.History(step_loss=history, lr=lrs, epoch_loss=list(history), epochs=steps, steps=steps))
        files.append(str(recorder.path))
    lines = [
        f"training accuracy   {final_acc:.0%} ({round(final_acc * len(X))}/{len(X)} points)",
        f"loss                {history[0]:.4f} -> {final_loss.data:.4f}",
        f"time                {seconds:.1f} s: {1000 * seconds / steps:.0f} ms per step, {nodes:,} graph nodes each",
        f"delta rule check    engine = hand-derived delta rule (hinge loss), largest difference {check.max_rel:.1g}",
        f"decision boundary   {path}",
    ]
    if recorder is not None:
        lines.append(f"training explorer   {recorder.path} ({recorder.path.stat().st_size / 1e6:.2f} MB, open it in "
                     "a browser)")
    width = max(len(line) for line in lines) + 2
    print("\n┌" + "─" * width + "┐")
    for line in lines:
        print("│ " + line.ljust(width - 2) + " │")
    print("└" + "─" * width + "┘")
    return {"accuracy": final_acc, "final_loss": final_loss.data, "losses": history, "accuracies": accuracies,
            "steps": steps, "seconds_per_step": seconds / steps, "nodes_per_step": nodes,
            "delta_max_rel": check.max_rel, "files": files}


if __name__ == "__main__":
    run(main)
