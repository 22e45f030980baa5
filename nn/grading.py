"""The teacher's kit for networks: grade a student's hand-written MLP backprop per layer and per element.

:func:`grade_backprop` calls the student's function ``backprop(W, b, X, y) -> (dW, db)`` on plain floats, compares
every ``dW[l][j][k]`` and ``db[l][j]`` with the engine's gradient of the same loss (``autograd_core.gradients``;
:func:`nn.delta.check` confirms the lectures' delta rule gives the same numbers) and names the misconception behind
each wrong number with the names of :data:`autograd_core.practice.MISTAKES`. Each mistake is a variant of the delta
rule run on the same network, in one layer or in every layer (what a bug in a loop does), so a wrong number is
recognised when it is what that variant computes:

* ``output_for_input``: ``g'(a)`` for ``g'(z)`` (``σ(a)(1 - σ(a))``, the classic ``sigmoid_prime(a)``);
* ``input_for_output``: the output form of ``g'`` fed ``z`` (``z (1 - z)`` for ``a (1 - a)``);
* ``forgot_sum``: ``δ[l]_k`` from one neuron ``j`` of the layer above instead of ``Σ_j W[l+1][j][k] δ[l+1]_j``;
* ``wrong_operand``: ``W[l+1]`` where its transpose belongs, or ``δ[l]_j W[l][j][k]`` for ``δ[l]_j a[l-1]_k``;
* ``dropped_upstream``: ``δ[l] = g'(z[l])`` without ``W[l+1]ᵀ δ[l+1]`` (``o'(z[L])`` without ``∂L/∂a[L]``), or
  ``a[l-1]_k`` without ``δ[l]_j``;
* ``sign_error``: ``δ[L]`` with the wrong sign (``y - a``, ``(t - y) σ'``);
* ``overwrite``: ``Δ = δ aᵀ`` instead of ``Δ += δ aᵀ`` over the batch (the last example alone);
* ``forgot_average``: the batch's sum instead of its mean;
* ``accumulated_twice``: twice the gradient (a buffer kept across two calls).

The student's function gets copies: ``W[l]`` is layer ``l + 1``'s weight matrix (``W[l][j][k]``: input k to
neuron j, as :class:`nn.Layer` stores it) and ``b[l]`` its biases, ``X`` the inputs and ``y`` the targets; it
returns ``dW`` and ``db`` in the same shapes (lists, tuples or numpy arrays), the gradient of
``(1/n) Σ loss(model(x_i), y_i) + (λ/2) Σ w²``. The report numbers layers from 1, as the lectures do.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Sequence
from typing import Union

import autograd_core as ag
from autograd_core.grading import Candidate, Check, Grade, diagnose_number
from autograd_core.practice import format_number

from .delta import CANCELLING, G_PRIME, LOSS_RULES, SUPPORTED_LOSSES, G, backprop, network
from .delta import check as delta_check
from .losses import check_class_index, check_targets, get_loss, loss_name
from .module import Module
from .train import batch_loss

__all__ = ["grade_backprop", "student_inputs"]

_CLASS_LOSSES = ("cross_entropy", "categorical_cross_entropy")


def _loss_key(loss: Union[str, Callable]) -> str:
    name = loss if isinstance(loss, str) else loss_name(get_loss(loss))
    if name not in SUPPORTED_LOSSES:
        raise ValueError(f"grade_backprop: no hand-derived rule for loss {loss!r}; supported: "
                         f"{', '.join(SUPPORTED_LOSSES)}")
    return name


def _target_vector(name: str, target: object, n: int) -> list:
    if name in _CLASS_LOSSES:
        c = check_class_index("grade_backprop", target, n)
        return [1.0 if i == c else 0.0 for i in range(n)]
    return check_targets("grade_backprop", target, n)


def student_inputs(model: Module) -> tuple:
    """What the student's function receives for ``model``: ``(W, b)`` as plain nested lists of floats."""
    net = network(model)
    return ([[list(row) for row in net.W[li]] for li in range(1, net.depth + 1)],
            [list(net.b[li]) for li in range(1, net.depth + 1)])


# ------------------------------------------------------------------------------------------------ the variants
class _Variant:
    """One mistake applied to the delta rule: ``change`` in ``layers`` (a set of 1-based layer numbers)."""

    __slots__ = ("kind", "change", "layers", "j", "text")

    def __init__(self, kind: str, change: str, layers: frozenset, text: str, j: int | None = None) -> None:
        self.kind, self.change, self.layers, self.text, self.j = kind, change, layers, text, j


def _where(layers: frozenset, depth: int) -> str:
    if len(layers) == depth and depth > 1:
        return "in every layer"
    return "in layer " + ", ".join(str(m) for m in sorted(layers))


def _variants(net, name: str, n_examples: int) -> list:
    L = net.depth
    out_act = net.activation[L]
    direct = (out_act, name) in CANCELLING or out_act == "softmax"  # o' cancels or is the softmax Jacobian
    every = frozenset(range(1, L + 1))
    hidden = [m for m in range(1, L)]
    found: list = []
    g_layers = hidden + ([] if direct else [L])
    singles = [frozenset({m}) for m in g_layers]
    everywhere = [frozenset(g_layers)] if len(g_layers) > 1 else []
    for layers in everywhere + singles:  # "in every layer" first: it is named when both give the number
        w = _where(layers, L) if len(layers) == 1 else ("in every layer" if L in layers else "in every hidden layer")
        found.append(_Variant("output_for_input", "g_at_output", layers,
                              f"your {{answer}} is what backprop gives with g'(a), the activation's derivative "
                              f"evaluated at the activation a = g(z), {w}: g'(z) is taken at z (for sigmoid "
                              "σ'(z) = a (1 - a), not σ(a) (1 - σ(a)))."))
        found.append(_Variant("input_for_output", "g_input_form", layers,
                              f"your {{answer}} is what backprop gives with the output form of g' fed z instead of "
                              f"a, {w}: σ'(z) = a (1 - a) and tanh'(z) = 1 - a^2 use the activation a, not z."))
    for m in hidden:
        rows = len(net.W[m + 1])
        for j in range(rows if rows > 1 else 0):
            found.append(_Variant("forgot_sum", "one_term", frozenset({m}),
                                  f"your {{answer}} is what backprop gives when δ[{m}] takes only the term of neuron "
                                  f"{j} of layer {m + 1}: δ[{m}]_k = Σ_j W[{m + 1}][j][k] δ[{m + 1}]_j g'(z[{m}]_k) "
                                  f"sums over all {rows} neurons that a[{m}]_k feeds.", j))
        if rows == len(net.W[m + 1][0]) and rows > 1:
            found.append(_Variant("wrong_operand", "transposed", frozenset({m}),
                                  f"your {{answer}} is what backprop gives with W[{m + 1}] where its transpose "
                                  f"belongs: δ[{m}] = W[{m + 1}]ᵀ δ[{m + 1}] ⊙ g'(z[{m}]), i.e. "
                                  f"Σ_j W[{m + 1}][j][k] δ[{m + 1}]_j (column k of W, not row k)."))
        found.append(_Variant("dropped_upstream", "dropped", frozenset({m}),
                              f"your {{answer}} is what backprop gives with δ[{m}] = g'(z[{m}]) alone: the factor "
                              f"W[{m + 1}]ᵀ δ[{m + 1}] from the layer above is missing."))
    square = [m for m in hidden if len(net.W[m + 1]) == len(net.W[m + 1][0]) > 1]
    if len(square) > 1:
        found.append(_Variant("wrong_operand", "transposed", frozenset(square),
                              "your {answer} is what backprop gives with W[l+1] where its transpose belongs, in "
                              "every hidden layer: δ[l] = W[l+1]ᵀ δ[l+1] ⊙ g'(z[l]), i.e. Σ_j W[l+1][j][k] "
                              "δ[l+1]_j (column k of W, not row k)."))
    fed = [m for m in hidden if len(net.W[m + 1]) > 1]
    if len(fed) > 1:
        for j in range(min(len(net.W[m + 1]) for m in fed)):
            found.append(_Variant("forgot_sum", "one_term", frozenset(fed),
                                  f"your {{answer}} is what backprop gives when every hidden δ takes only the term of "
                                  f"neuron {j} of the layer above: δ[l]_k = Σ_j W[l+1][j][k] δ[l+1]_j g'(z[l]_k) sums "
                                  "over every neuron that a[l]_k feeds.", j))
    if not direct:
        found.append(_Variant("dropped_upstream", "dropped", frozenset({L}),
                              f"your {{answer}} is what backprop gives with δ[{L}] = o'(z[{L}]) alone: the factor "
                              f"∂L/∂a[{L}] of the loss is missing."))
    found.append(_Variant("sign_error", "sign", frozenset({L}),
                          f"your {{answer}} has the sign of the gradient the wrong way round: δ[{L}] = ∂L/∂a[{L}] ⊙ "
                          f"o'(z[{L}]) is -(t - y) o'(z) = (y - t) o'(z) for squared error and a - y (not y - a) "
                          "for cross-entropy."))
    for layers in [frozenset({m}) for m in range(1, L + 1)] + ([every] if L > 1 else []):
        w = _where(layers, L)
        found.append(_Variant("wrong_operand", "weight_operand", layers,
                              f"your {{answer}} is δ[l]_j W[l][j][k] ({w}): the derivative of w a with respect to "
                              "w is the input a[l-1]_k, not the weight: ∂L/∂W[l][j][k] = δ[l]_j a[l-1]_k."))
        found.append(_Variant("dropped_upstream", "weight_without_delta", layers,
                              f"your {{answer}} is a[l-1]_k alone ({w}): ∂L/∂W[l][j][k] = δ[l]_j a[l-1]_k needs "
                              "the factor δ[l]_j."))
    if n_examples > 1:
        found.append(_Variant("overwrite", "last_example", every,
                              f"your {{answer}} is the last example's term alone: Δ[l] += δ[l] a[l-1]ᵀ accumulates "
                              f"over the {n_examples} examples, and Δ = δ aᵀ (= for +=) keeps only the last."))
        found.append(_Variant("overwrite", "last_example_mean", every,
                              f"your {{answer}} is the last example's term divided by n = {n_examples}: the terms "
                              "of all examples must be accumulated (Δ += δ aᵀ), not overwritten."))
        found.append(_Variant("forgot_average", "batch_sum", every,
                              f"your {{answer}} is the sum over the {n_examples} examples: the loss is their mean, "
                              f"so D[l] = Δ[l] / {n_examples} (+ λ W[l] for the weights)."))
    found.append(_Variant("accumulated_twice", "twice", every,
                          "your {answer} is twice the gradient: the gradients of two calls added up (a buffer or "
                          ".grad kept between calls); start every call from zero."))
    return found


def _gprime(act: str, z: float, a: float, change: str | None) -> float:
    if change == "g_at_output":
        return G_PRIME[act](a, G[act](a))
    if change == "g_input_form":
        return G_PRIME[act](z, z)
    return G_PRIME[act](z, a)


def _example(net, bp, yv: list, name: str, var: _Variant | None) -> tuple:
    """One example's (dW, db) per layer under the variant (None: the delta rule itself, as nn.delta has it)."""
    L = net.depth
    change = var.change if var is not None else None
    layers = var.layers if var is not None else frozenset()
    deltas: list = [None] * (L + 1)
    out_act = net.activation[L]
    dL = list(bp.delta[L])
    if L in layers and change in ("g_at_output", "g_input_form", "dropped"):
        g = LOSS_RULES[name][1](bp.a[L], yv)
        if change == "dropped":
            dL = [_gprime(out_act, z, a, None) for z, a in zip(bp.z[L], bp.a[L])]
        else:
            dL = [gi * _gprime(out_act, z, a, change) for gi, z, a in zip(g, bp.z[L], bp.a[L])]
    elif change == "sign":
        dL = [-d for d in dL]
    deltas[L] = dL
    for li in range(L - 1, 0, -1):
        W_next, d_next = net.W[li + 1], deltas[li + 1]
        here = li in layers
        act = net.activation[li]
        dl = []
        for k in range(len(bp.z[li])):
            if here and change == "one_term":
                back = W_next[var.j][k] * d_next[var.j]
            elif here and change == "transposed":
                back = 0.0
                for j in range(len(W_next)):
                    back += W_next[k][j] * d_next[j]
            elif here and change == "dropped":
                back = 1.0
            else:
                back = 0.0
                for j, row in enumerate(W_next):
                    back += row[k] * d_next[j]
            c = change if here and change in ("g_at_output", "g_input_form") else None
            dl.append(back * _gprime(act, bp.z[li][k], bp.a[li][k], c))
        deltas[li] = dl
    dW: list = [None]
    db: list = [None]
    for li in range(1, L + 1):
        prev = bp.a[li - 1]
        rows = []
        for j, dj in enumerate(deltas[li]):
            if li in layers and change == "weight_operand":
                rows.append([dj * w for w in net.W[li][j]])
            elif li in layers and change == "weight_without_delta":
                rows.append(list(prev))
            else:
                rows.append([dj * ak for ak in prev])
        dW.append(rows)
        db.append(list(deltas[li]))
    return dW, db


def _batch(net, bps: list, yvs: list, name: str, l2: float, var: _Variant | None) -> tuple:
    """(dW, db) per layer over the batch: (1/n) Σ + λ W, or the batch variant's own rule."""
    n = len(bps)
    L = net.depth
    change = var.change if var is not None else None
    per = [_example(net, bp, yv, name, None if change in ("last_example", "last_example_mean", "batch_sum", "twice")
                    else var) for bp, yv in zip(bps, yvs)]
    if change in ("last_example", "last_example_mean"):
        used, scale = per[-1:], (1.0 if change == "last_example" else 1.0 / n)
    elif change == "batch_sum":
        used, scale = per, 1.0
    else:
        used, scale = per, 1.0 / n
    dW: list = [None]
    db: list = [None]
    for li in range(1, L + 1):
        rows = []
        for j in range(len(net.W[li])):
            row = []
            for k in range(len(net.W[li][j])):
                s = 0.0
                for ex in used:
                    s += ex[0][li][j][k]
                row.append(s * scale + l2 * net.W[li][j][k])
            rows.append(row)
        bias = []
        for j in range(len(net.b[li])):
            s = 0.0
            for ex in used:
                s += ex[1][li][j]
            bias.append(s * scale)
        if change == "twice":
            rows = [[2.0 * v for v in row] for row in rows]
            bias = [2.0 * v for v in bias]
        dW.append(rows)
        db.append(bias)
    return dW, db


# ------------------------------------------------------------------------------------------------ the grader
def _as_matrix(what: str, x, rows: int, cols: int) -> list:
    try:
        out = [[float(v) for v in row] for row in x]
    except TypeError:
        raise ValueError(f"{what} must be a {rows}x{cols} matrix (a list of rows), got {type(x).__name__}") from None
    if len(out) != rows or any(len(r) != cols for r in out):
        got = f"{len(out)}x{len(out[0]) if out else 0}"
        raise ValueError(f"{what} must be {rows}x{cols} (neurons x inputs, W[j][k] for input k to neuron j), "
                         f"got {got}")
    return out


def _as_vector(what: str, x, n: int) -> list:
    try:
        out = [float(v) for v in x]
    except TypeError:
        raise ValueError(f"{what} must be a list of {n} numbers, got {type(x).__name__}") from None
    if len(out) != n:
        raise ValueError(f"{what} must hold {n} numbers (one per neuron), got {len(out)}")
    return out


def _parse_result(result, net) -> tuple:
    L = net.depth
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise ValueError(f"the function must return (dW, db), got {type(result).__name__}")
    dW, db = result
    if len(dW) != L or len(db) != L:
        raise ValueError(f"dW and db must have one entry per layer ({L}), got {len(dW)} and {len(db)}")
    mats = [None] + [_as_matrix(f"dW[{li - 1}] (layer {li})", dW[li - 1], len(net.W[li]), len(net.W[li][0]))
                     for li in range(1, L + 1)]
    vecs = [None] + [_as_vector(f"db[{li - 1}] (layer {li})", db[li - 1], len(net.b[li])) for li in range(1, L + 1)]
    return mats, vecs


def grade_backprop(student: Callable, model: Module, X: Sequence, y: Sequence, loss: Union[str, Callable], *,
                   l2: float = 0.0, rtol: float = 1e-6, atol: float = 1e-9, name: str = "backprop") -> Grade:
    """Grade ``student(W, b, X, y) -> (dW, db)``, a hand-written backprop for ``model``, per layer and element.

    Args:
        student: the student's function (see the module docs for what it receives and returns).
        model: an :class:`nn.MLP` (or Layer, Neuron): its weights, activations and shape define the assignment.
        X, y: the examples and targets (class indices for ``cross_entropy``).
        loss: the loss name (or built-in loss function): ``mse``, ``half_mse``, ``binary_cross_entropy``, ...
        l2: the L2 coefficient λ on the weights (biases are not regularised).
        rtol, atol: a number is right when ``|got - right| <= atol + rtol |right|``.
        name: what the report calls the submission.

    Returns a :class:`autograd_core.grading.Grade` with one check per ``dW[l][j][k]`` and ``db[l][j]`` (group
    ``layer l``); ``grade.assert_correct()`` raises :class:`autograd_core.grading.GradingError` with the report.
    A function that raises or returns the wrong shapes gives a failed check that says so.
    """
    if not callable(student):
        raise TypeError(f"grade_backprop: student must be a function backprop(W, b, X, y) -> (dW, db), got "
                        f"{type(student).__name__}")
    key = _loss_key(loss)
    X, y = list(X), list(y)
    if not X or len(X) != len(y):
        raise ValueError(f"grade_backprop: X and y must be non-empty and of equal length, got {len(X)} and {len(y)}")
    net = network(model)
    L = net.depth
    # the truth: the engine's gradient of the very loss nn.train.fit differentiates
    _, total = batch_loss(model, X, y, key, l2)
    params = model.parameters()
    grads = dict(zip(params, ag.gradients(total, params)))
    dense = model.dense_layers()
    engine_W = [None] + [[[grads[w] for w in row] for row in d.W] for d in dense]
    engine_b = [None] + [[grads[v] for v in d.b] for d in dense]
    agreement = delta_check(model, X, y, key, l2)
    notes = [f"right numbers: the engine's gradient of (1/n) Σ {key} + (λ/2) Σ w² (n = {len(X)}, λ = {l2:g}); "
             f"nn.delta's hand-derived delta rule agrees to {agreement.max_rel:.1e} (relative)",
             f"tolerance |got - right| <= {atol:g} + {rtol:g} |right|"]
    W_in, b_in = student_inputs(model)
    try:
        result = student(W_in, b_in, [list(x) for x in X], list(y))
        got_W, got_b = _parse_result(result, net)
    except Exception as e:  # a student's code may fail in any way: the report says how
        last = traceback.format_exception_only(type(e), e)[-1].strip()
        check = Check("the submission", "the call", math.nan, None, False, (),
                      f"{name}(W, b, X, y) failed: {last}")
        return Grade(f"{name}", (check,), tuple(notes))

    bps = [backprop(net, x, t, key) for x, t in zip(X, y)]
    yvs = [_target_vector(key, t, len(net.b[L])) for t in y]
    variants = [(v, _batch(net, bps, yvs, key, l2, v)) for v in _variants(net, key, len(X))]
    checks = []
    for li in range(1, L + 1):
        group = f"layer {li} (W {len(net.W[li])}x{len(net.W[li][0])}, b {len(net.b[li])})"
        for j, row in enumerate(engine_W[li]):
            for k, right in enumerate(row):
                checks.append(_check(group, f"dW[{j}][{k}]", right, got_W[li][j][k], variants, ("W", li, j, k),
                                     _step_w(net, bps, li, j, k, l2), rtol, atol))
        for j, right in enumerate(engine_b[li]):
            checks.append(_check(group, f"db[{j}]", right, got_b[li][j], variants, ("b", li, j, None),
                                 _step_b(bps, li, j), rtol, atol))
    return Grade(f"{name}", tuple(checks), tuple(notes))


def _check(group: str, where: str, right: float, got: float, variants: list, at: tuple, step: str, rtol: float,
           atol: float) -> Check:
    if abs(got - right) <= atol + rtol * abs(right):
        return Check(group, where, right, got, True)
    if not math.isfinite(got):
        return Check(group, where, right, got, False, (), f"not a finite number: {got!r}")
    what, li, j, k = at
    cands = []
    for var, (dW, db) in variants:
        value = dW[li][j][k] if what == "W" else db[li][j]
        cands.append(Candidate(var.kind, value, var.text))
    fb = diagnose_number(right, got, cands, prompt=f"∂L/∂{where[1:]}", step=step, rtol=rtol, atol=atol)
    return Check(group, where, right, got, False, fb.mistakes, "\n".join(fb.lines))


def _step_w(net, bps: list, li: int, j: int, k: int, l2: float) -> str:
    n = len(bps)
    d, a = bps[0].delta[li][j], bps[0].a[li - 1][k]
    mean = f"δ[{li}]_{j} a[{li - 1}]_{k}" if n == 1 else f"(1/{n}) Σ over the examples of δ[{li}]_{j} a[{li - 1}]_{k}"
    reg = f" + λ W[{li}][{j}][{k}]" if l2 else ""
    return (f"∂L/∂W[{li}][{j}][{k}] = {mean}{reg}; for the first example δ[{li}]_{j} = {format_number(d)} and "
            f"a[{li - 1}]_{k} = {format_number(a)}")


def _step_b(bps: list, li: int, j: int) -> str:
    n = len(bps)
    mean = f"δ[{li}]_{j}" if n == 1 else f"(1/{n}) Σ over the examples of δ[{li}]_{j}"
    return f"∂L/∂b[{li}]_{j} = {mean}; for the first example δ[{li}]_{j} = {format_number(bps[0].delta[li][j])}"
