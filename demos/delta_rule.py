"""The delta rule by hand (``nn.delta``, plain floats) against the engine, layer by layer.

For one example the backpropagation of notes 000 is ``δ[L] = ∂L/∂a[L] ⊙ o'(z[L])`` (``a[L] - y`` for cross-entropy
with a sigmoid or softmax output), ``δ[l] = W[l+1]ᵀ δ[l+1] ⊙ g'(z[l])``, ``∂L/∂W[l] = δ[l] a[l-1]ᵀ`` and
``∂L/∂b[l] = δ[l]``. So for a single example the engine's bias gradients *are* the deltas: the demo prints both
side by side.

The notes' own numbers: notes 000 write ``δ[L] = a[L] - y`` and notes 001 ``δ_i^(N) = -(t_i - y_i) σ'(d_i^(N))``,
the gradients of a loss *summed* over the outputs (``Σ_k -y_k log a_k - ...``, ``Σ_k ½ (t_k - y_k)²``). nn's
elementwise losses average over the outputs by default (``reduction="mean"``, as PyTorch does); with
``reduction="sum"`` the delta rule (and ``fit``) use the notes' sum and ``δ[L]`` is exactly their formula. With N
outputs the mean's δ[L] is the sum's divided by N: exactly half for the two outputs here.

Then ``nn.delta.check`` compares every weight and bias gradient of a batch (averaged, with L2 on the weights) for
four combinations of activations and losses, and reports the largest difference per layer.

Run: ``python -m demos.delta_rule [--quick] [--out DIR]``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import autograd_core as ag
import nn

from ._common import heading, parse_args, run, table, write_text

__all__ = ["main", "CASES"]

# (hidden activation, output activation, loss, l2, targets): the output-layer cases of notes 000
CASES = (
    ("sigmoid", "sigmoid", "binary_cross_entropy", 0.0, "binary"),
    ("tanh", "softmax", "categorical_cross_entropy", 0.0, "class"),
    ("sigmoid", "sigmoid", "half_mse", 0.0, "binary"),
    ("relu", "linear", "mse", 0.01, "real"),
)
SIZES = [4, 3, 2]


def _targets(kind: str, n: int, rng: random.Random) -> list:
    if kind == "binary":
        return [[rng.randint(0, 1) for _ in range(SIZES[-1])] for _ in range(n)]
    if kind == "class":
        return [rng.randrange(SIZES[-1]) for _ in range(n)]
    return [[rng.gauss(0.0, 1.0) for _ in range(SIZES[-1])] for _ in range(n)]


def _vec(xs: Sequence[float]) -> str:
    return "[" + ", ".join(f"{x:+.6f}" for x in xs) + "]"


def _notes_numbers(model: nn.MLP, x: list, y: list) -> dict:
    """δ[L] with reduction="sum" against notes 000's a - y and notes 001's -(t - y) σ'(d); the mean's ratio."""
    heading("The notes' own formulas for δ[L]: reduction='sum' (nn's default, 'mean', divides by the N outputs)")
    rows, out = [], {}
    cases = (("binary_cross_entropy", "notes 000: a - y", lambda a, z, t: a - t),
             ("half_mse", "notes 001: -(t - y) σ'(d)", lambda a, z, t: -(t - a) * (a * (1.0 - a))))
    for loss_name, formula_name, formula in cases:
        summed = nn.delta.backprop(model, x, y, loss_name, reduction="sum")
        mean = nn.delta.backprop(model, x, y, loss_name)
        L = len(summed.delta) - 1
        notes = [formula(a, z, t) for a, z, t in zip(summed.a[L], summed.z[L], y)]
        diff = max(abs(d - f) for d, f in zip(summed.delta[L], notes))
        ratios = [m / s for m, s in zip(mean.delta[L], summed.delta[L])]
        check = nn.delta.check(model, [x], [y], loss_name, reduction="sum")
        out[loss_name] = {"sum": summed.delta[L], "mean": mean.delta[L], "notes": notes, "max_diff": diff,
                          "ratios": ratios, "rule_sum": summed.rule, "rule_mean": mean.rule,
                          "engine_ok": check.ok(1e-12)}
        for i in range(len(y)):
            rows.append((loss_name if i == 0 else "", i, f"{notes[i]:+.12f}", f"{summed.delta[L][i]:+.12f}",
                         f"{mean.delta[L][i]:+.12f}", f"{ratios[i]:g}"))
        print(f"{loss_name}: {formula_name}; with reduction='sum' nn.delta uses {summed.rule!r}, "
              f"with 'mean' {mean.rule!r}; engine agrees with the sum: {'yes' if check.ok(1e-12) else 'NO'}")
    print(table(("loss", "output i", "the notes' formula", "δ[L]_i (sum)", "δ[L]_i (mean)", "mean / sum"), rows))
    worst = max(v["max_diff"] for v in out.values())
    print(f"with reduction='sum' δ[L] is the notes' formula (largest difference {worst:.1e}); the mean divides it by "
          f"N = {len(y)}")
    return out


def main(argv: Sequence[str] | None = None) -> dict:
    """Run the demo; return ``single_example_max_diff`` and per case ``max_rel``/``max_abs``/``ok`` (``checks``)."""
    args = parse_args("delta_rule", "The delta rule of notes 000 (nn.delta, plain floats) against the engine, layer by "
                      "layer.", argv, "4 examples per batch check instead of 32")
    rng = random.Random(0)
    heading(f"One example through MLP(3, {SIZES}), sigmoid hidden and output, binary cross-entropy")
    model = nn.MLP(3, SIZES, activation="sigmoid", output_activation="sigmoid", seed=0)
    x, y = [0.5, -1.0, 2.0], [1, 0]
    bp = nn.delta.backprop(model, x, y, "binary_cross_entropy")
    loss = nn.losses.binary_cross_entropy(model(x), y)
    biases = [layer.b for layer in model.layers]
    engine = ag.gradients(loss, [b for bs in biases for b in bs])
    print(f"x = {x}, y = {y}; output rule: {bp.rule}")
    print(f"loss: delta rule {bp.loss:.17g}, engine {loss.data:.17g}\n")
    rows, single_diff = [], 0.0
    for li in range(len(SIZES), 0, -1):
        k = len(biases[li - 1])
        start = sum(len(b) for b in biases[:li - 1])
        e = engine[start:start + k]
        diff = max(abs(a - b) for a, b in zip(bp.delta[li], e))
        single_diff = max(single_diff, diff)
        rows.append((f"δ[{li}]", _vec(bp.delta[li]), _vec(e), f"{diff:.1e}"))
    print(table(("layer", "delta rule δ[l] = ∂L/∂z[l] (by hand)", "engine ∂L/∂b[l]", "max |diff|"), rows))
    print("(backward order: the output layer first; each δ[l] = W[l+1]ᵀ δ[l+1] ⊙ σ'(z[l]) with σ' = a (1 - a))")

    notes = _notes_numbers(model, x, y)

    n = 4 if args.quick else 32
    heading(f"nn.delta.check: every weight and bias gradient, batches of {n}, layer by layer")
    checks, reports = [], []
    for hidden, out_act, loss_name, l2, kind in CASES:
        m = nn.MLP(3, SIZES, activation=hidden, output_activation=out_act, seed=1)
        X = [[rng.gauss(0.0, 1.0) for _ in range(3)] for _ in range(n)]
        ys = _targets(kind, n, rng)
        result = nn.delta.check(m, X, ys, loss_name, l2=l2)
        title = f"hidden {hidden}, output {out_act}, loss {loss_name}" + (f", L2 λ = {l2}" if l2 else "")
        print(f"\n{title}")
        print(result)
        reports.append(f"{title}\n{result}\n")
        checks.append({"hidden": hidden, "output": out_act, "loss": loss_name, "l2": l2, "rule": result.rule,
                       "max_abs": result.max_abs, "max_rel": result.max_rel,
                       "loss_diff": abs(result.loss_engine - result.loss_delta), "ok": result.ok(1e-12)})
    worst = max(c["max_rel"] for c in checks)
    print(f"\nall {len(checks)} cases agree to {worst:.1g} relative (requirement 1e-12): "
          f"{'yes' if all(c['ok'] for c in checks) else 'NO'}")
    path = write_text(args.out / "delta_rule_checks.txt", "\n".join(reports))
    heading("Files")
    print(f"  {path}")
    return {"single_example_max_diff": single_diff, "single_example_loss_diff": abs(bp.loss - loss.data),
            "checks": checks, "max_rel": worst, "examples": n, "notes": notes, "files": [str(path)]}


if __name__ == "__main__":
    run(main)
