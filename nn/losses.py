"""Losses for one sample, softmax and the L2 penalty.

Every loss is called as ``loss(outputs, target)`` where ``outputs`` is what a model call returns: a list of Values,
one per output, or a single Value (a model with one output returns the Value itself; a lone Value counts as a list
of one). ``target`` is the sample's target. It returns one Value: the loss of that sample. ``nn.train.fit`` averages
it over the batch.

Reduction over the outputs of one sample: the elementwise losses (:data:`ELEMENTWISE_LOSSES`: ``mse``, ``half_mse``,
``binary_cross_entropy``, ``binary_cross_entropy_with_logits``, ``hinge``) add one term ``ℓ(y_i, t_i)`` per output
and take ``reduction="mean"`` (the default, ``(1/N) Σ_i ℓ``, as PyTorch does) or ``reduction="sum"`` (``Σ_i ℓ``, the
form notes 000 and 001 write: their ``δ[L] = a - y`` and ``-(t - y) σ'(d)`` are the gradients of the sum). With one
output the two are the same; with N outputs the mean's gradient is the sum's divided by N. ``cross_entropy``,
``categorical_cross_entropy`` and ``kl_divergence`` are sums over the classes by definition and take no reduction.

With plain floats as outputs (a list, or one float, as ``model.predict`` gives them) the same functions return plain
floats (handy for checking numbers by hand). ``softmax`` and ``log_softmax`` return the form they are given: a list
for a list, a single one for a single.

Targets are data, never Values: a number (for a single output) or a list of numbers, or a class index for the
categorical losses. A target out of range (a probability outside [0, 1], a class index outside 0..n-1, a hinge label
other than -1 or +1) is a ValueError.

Numerical stability: ``softmax``, ``log_softmax`` and ``cross_entropy`` subtract the largest logit first (a constant:
softmax(z - c) = softmax(z), so the shift needs no gradient), and ``binary_cross_entropy_with_logits`` is written as
softplus(z) - t z with the engine's overflow-free softplus.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Union

import autograd_core as ag
from autograd_core import Value

from .module import Module, describe

__all__ = [
    "mse",
    "half_mse",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "categorical_cross_entropy",
    "kl_divergence",
    "hinge",
    "l2_penalty",
    "LOSSES",
    "ELEMENTWISE_LOSSES",
    "REDUCTIONS",
    "check_reduction",
    "with_reduction",
    "get_loss",
    "loss_name",
    "accuracy_rule",
    "check_targets",
    "check_class_index",
    "single_output",
    "as_outputs",
]

Number = Union[int, float]
Outputs = Union[Value, Number, Sequence[Union[Value, Number]]]


# ---------------------------------------------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------------------------------------------
def single_output(outputs: object) -> bool:
    """True if ``outputs`` is one output (a Value or a real number) rather than a list of them."""
    return isinstance(outputs, Value) or (isinstance(outputs, numbers.Real) and not isinstance(outputs, bool))


def as_outputs(outputs: object) -> list:
    """What a model call (or ``predict``) returns, as a list: a single Value or number becomes a list of one."""
    return [outputs] if single_output(outputs) else list(outputs)  # type: ignore[call-overload]


def _outputs(where: str, outputs: object) -> list:
    if single_output(outputs):
        return [outputs]
    if isinstance(outputs, (numbers.Number, str, bytes)):
        raise TypeError(f"{where}: outputs must be a Value or a list of Values (what a model call returns), got "
                        f"{describe(outputs)}")
    try:
        ys = list(outputs)
    except TypeError:
        raise TypeError(f"{where}: outputs must be a Value or a list of Values (what a model call returns), got "
                        f"{describe(outputs)}") from None
    if not ys:
        raise ValueError(f"{where}: outputs is empty")
    for i, y in enumerate(ys):
        if not isinstance(y, Value) and (isinstance(y, bool) or not isinstance(y, numbers.Real)):
            raise TypeError(f"{where}: outputs[{i}] must be a Value or a number, got {describe(y)}")
    return ys


def _number(where: str, x: object) -> float:
    if isinstance(x, Value):
        raise TypeError(f"{where}: targets are data, not Values; pass {x.data!r} (target.data) instead")
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: a target must be a number, got {describe(x)}")
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"{where}: a target must be finite, got {f!r}")
    return f


def check_targets(where: str, target: object, n: int) -> list:
    """A sample's target for ``n`` outputs as a list of ``n`` finite floats (a lone number counts as a list of one).

    TypeError for a Value (targets are data), a string or a non-number; ValueError for nan/inf or a count other
    than ``n``. The messages start with ``where``.
    """
    if isinstance(target, (numbers.Number, Value)):
        ts = [_number(where, target)]
    elif isinstance(target, (str, bytes)) or not isinstance(target, Iterable):
        raise TypeError(f"{where}: target must be a number or a list of numbers, got {describe(target)}")
    else:
        ts = [_number(where, t) for t in target]
    if len(ts) != n:
        raise ValueError(f"{where}: {n} output(s) but {len(ts)} target(s); give one target per output")
    return ts


def check_class_index(where: str, c: object, n: int) -> int:
    """A class-index target for ``n`` classes as an int in ``0..n-1``.

    TypeError for a non-int (bools included), ValueError if out of range; the messages start with ``where``.
    """
    if isinstance(c, bool) or not isinstance(c, numbers.Integral):
        raise TypeError(f"{where}: the target must be a class index (an int), got {describe(c)}")
    c = int(c)
    if not 0 <= c < n:
        raise ValueError(f"{where}: class index {c} is out of range for {n} classes (valid: 0..{n - 1})")
    return c


def _data(x) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _any_value(xs: list) -> bool:
    for x in xs:
        if isinstance(x, Value):
            return True
    return False


REDUCTIONS = ("mean", "sum")


def check_reduction(where: str, reduction: object) -> str:
    """``reduction`` if it is ``"mean"`` or ``"sum"``; a ValueError starting with ``where`` otherwise."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'mean' (average over the outputs of a sample) or 'sum' (add "
                         f"them, as notes 000 and 001 write the loss), got {reduction!r}")
    return reduction


def _reduce(where: str, terms: list, reduction: str, scale: float = 1.0):
    """``scale * (1/N) Σ terms`` (mean) or ``scale * Σ terms`` (sum), one sum node for Values (none for one term)."""
    check_reduction(where, reduction)
    n = len(terms)
    if n == 1:
        total = terms[0]
    elif _any_value(terms):
        total = ag.sum(terms)
    else:
        total = sum(terms, 0.0)
    factor = scale / n if reduction == "mean" else scale
    return total if factor == 1.0 else total * factor


def _finite_logits(where: str, zs: list) -> float:
    datas = [_data(z) for z in zs]
    for i, d in enumerate(datas):
        if not math.isfinite(d):
            raise ValueError(f"{where}: logits must be finite, got {d!r} at index {i}")
    return max(datas)


# ---------------------------------------------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------------------------------------------
def mse(outputs: Outputs, target, *, half: bool = False, reduction: str = "mean"):
    """Mean squared error ``(1/N) Σ_i (y_i - t_i)²`` over the N outputs; ``half=True``: ``(1/N) Σ_i ½ (y_i - t_i)²``.

    Notes 000-004 use both scalings; the half one makes the gradient ``(y - t)/N`` instead of ``2 (y - t)/N``.
    ``reduction="sum"`` drops the 1/N: ``Σ_i (y_i - t_i)²``, gradient ``2 (y - t)`` (notes 003's
    ``E_n = Σ_k (d_nk - o_nk)²``).
    """
    ys = _outputs("mse", outputs)
    ts = check_targets("mse", target, len(ys))
    return _reduce("mse", [(y - t) ** 2 for y, t in zip(ys, ts)], reduction, 0.5 if half else 1.0)


def half_mse(outputs: Outputs, target, *, reduction: str = "mean"):
    """``(1/N) Σ_i ½ (y_i - t_i)²``: :func:`mse` with ``half=True`` (the delta rule's squared error).

    ``reduction="sum"`` is notes 001's ``L = Σ_k ½ (t_k - y_k)²``, whose gradient ``∂L/∂y_i = -(t_i - y_i)`` gives
    its output delta ``-(t_i - y_i) σ'(d_i)``; the mean divides both by N.
    """
    ys = _outputs("half_mse", outputs)
    ts = check_targets("half_mse", target, len(ys))
    return _reduce("half_mse", [(y - t) ** 2 for y, t in zip(ys, ts)], reduction, 0.5)


# ---------------------------------------------------------------------------------------------------------------
# binary classification
# ---------------------------------------------------------------------------------------------------------------
def binary_cross_entropy(probs: Outputs, target, *, reduction: str = "mean"):
    """``(1/N) Σ_i -t_i log p_i - (1 - t_i) log(1 - p_i)`` on probabilities (a sigmoid output layer).

    ``reduction="sum"`` drops the 1/N; then with a sigmoid output ``∂L/∂z_i = p_i - t_i``, notes 000's
    ``δ[L] = a - y`` (the mean gives ``(a - y)/N``). Targets must lie in [0, 1] and probabilities in [0, 1]. A term
    whose target weight is 0 is left out, so a saturated probability costs nothing where it is right; a saturated
    probability that is wrong (p = 1 for t = 0) is an infinite loss and a ValueError: use
    :func:`binary_cross_entropy_with_logits` for raw scores.
    """
    ps = _outputs("binary_cross_entropy", probs)
    ts = check_targets("binary_cross_entropy", target, len(ps))
    terms = []
    for i, (p, t) in enumerate(zip(ps, ts)):
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy: target {i} must be a probability in [0, 1], got {t!r}")
        pd = _data(p)
        if not 0.0 <= pd <= 1.0:
            raise ValueError(f"binary_cross_entropy: output {i} must be a probability in [0, 1], got {pd!r}; "
                             "for raw scores use binary_cross_entropy_with_logits")
        if (t > 0.0 and pd == 0.0) or (t < 1.0 and pd == 1.0):
            raise ValueError(f"binary_cross_entropy: output {i} is {pd!r} for target {t!r}, an infinite loss; "
                             "use binary_cross_entropy_with_logits on the logits instead")
        if t == 1.0:
            terms.append(-ag.log(p))
        elif t == 0.0:
            terms.append(-ag.log(1.0 - p))
        else:
            terms.append(-(t * ag.log(p) + (1.0 - t) * ag.log(1.0 - p)))
    return _reduce("binary_cross_entropy", terms, reduction)


def binary_cross_entropy_with_logits(logits: Outputs, target, *, reduction: str = "mean"):
    """Binary cross-entropy of ``sigmoid(z)``, computed stably from the logit: ``(1/N) Σ_i softplus(z_i) - t_i z_i``.

    Equal to ``binary_cross_entropy([sigmoid(z)], t)``; its gradient is ``(sigmoid(z) - t)/N`` (``sigmoid(z) - t``
    with ``reduction="sum"``). Targets in [0, 1].
    """
    zs = _outputs("binary_cross_entropy_with_logits", logits)
    ts = check_targets("binary_cross_entropy_with_logits", target, len(zs))
    for i, t in enumerate(ts):
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits: target {i} must be a probability in [0, 1], "
                             f"got {t!r}")
    return _reduce("binary_cross_entropy_with_logits",
                   [ag.softplus(z) - t * z if t != 0.0 else ag.softplus(z) for z, t in zip(zs, ts)], reduction)


def hinge(scores: Outputs, target, *, reduction: str = "mean"):
    """The SVM hinge loss ``(1/N) Σ_i max(0, 1 - t_i s_i)`` with labels t_i in {-1, +1}.

    Its gradient is ``-t_i/N`` where the margin ``t_i s_i`` is below 1, else 0 (0 at exactly 1, as relu);
    ``reduction="sum"`` drops the 1/N.
    """
    ss = _outputs("hinge", scores)
    ts = check_targets("hinge", target, len(ss))
    for i, t in enumerate(ts):
        if t != 1.0 and t != -1.0:
            raise ValueError(f"hinge: target {i} must be -1 or +1, got {t!r} (map 0/1 labels with 2*y - 1)")
    return _reduce("hinge", [ag.relu(1.0 - t * s) for s, t in zip(ss, ts)], reduction)


# ---------------------------------------------------------------------------------------------------------------
# multi-class
# ---------------------------------------------------------------------------------------------------------------
def softmax(logits: Outputs) -> Union[list, Value, float]:
    """``softmax(z)_i = exp(z_i) / Σ_j exp(z_j)``, computed as exp(z_i - max z) / Σ_j exp(z_j - max z).

    Returns a list (of Values if any logit is a Value, else of floats); a single logit gives a single 1.0 (a Value
    for a Value). ``softmax([1.8, 0.9, 0.68])`` is about ``[0.58, 0.23, 0.19]``.
    """
    zs = _outputs("softmax", logits)
    m = _finite_logits("softmax", zs)
    es = [ag.exp(z - m) for z in zs]
    s = ag.sum(es) if _any_value(es) else sum(es, 0.0)
    out = [e / s for e in es]
    return out[0] if single_output(logits) else out


def log_softmax(logits: Outputs) -> Union[list, Value, float]:
    """``log softmax(z)_i = z_i - log Σ_j exp(z_j)``, computed as (z_i - m) - log Σ_j exp(z_j - m), m = max z.

    Stable for large logits (``log_softmax([1000, 0])`` is ``[0, -1000]``, not nan). A list for a list of logits, a
    single one for a single logit.
    """
    zs = _outputs("log_softmax", logits)
    m = _finite_logits("log_softmax", zs)
    shifted = [z - m for z in zs]
    es = [ag.exp(d) for d in shifted]
    log_s = ag.log(ag.sum(es) if _any_value(es) else sum(es, 0.0))
    out = [d - log_s for d in shifted]
    return out[0] if single_output(logits) else out


def cross_entropy(logits: Outputs, class_index: int):
    """Cross-entropy of ``softmax(logits)`` against class c, from the logits: ``-log softmax(z)_c``.

    Computed stably as ``log Σ_j exp(z_j - m) - (z_c - m)``; its gradient is ``softmax(z) - onehot(c)``. Use it with
    a linear output layer (``output_activation="linear"``); for a softmax output layer use
    :func:`categorical_cross_entropy`.
    """
    zs = _outputs("cross_entropy", logits)
    c = check_class_index("cross_entropy", class_index, len(zs))
    m = _finite_logits("cross_entropy", zs)
    shifted = [z - m for z in zs]
    es = [ag.exp(d) for d in shifted]
    return ag.log(ag.sum(es) if _any_value(es) else sum(es, 0.0)) - shifted[c]


def categorical_cross_entropy(probs: Outputs, class_index: int):
    """``-log p_c``: the cross-entropy (KL divergence to the one-hot target) of probabilities, e.g. a softmax layer.

    With a softmax output the delta rule gives ``δ = a - y``. A probability of 0 for the true class is an infinite
    loss and a ValueError (train on logits with :func:`cross_entropy` to avoid it).
    """
    ps = _outputs("categorical_cross_entropy", probs)
    c = check_class_index("categorical_cross_entropy", class_index, len(ps))
    pc = _data(ps[c])
    if not 0.0 < pc <= 1.0:
        raise ValueError(f"categorical_cross_entropy: the probability of the true class {c} must be in (0, 1], "
                         f"got {pc!r}; use cross_entropy on the logits for a stable loss")
    return -ag.log(ps[c])


def kl_divergence(probs: Outputs, target: Sequence[Number]):
    """``KL(t || p) = Σ_i t_i log(t_i / p_i)``, terms with t_i = 0 counted as 0.

    ``target`` must be a probability vector (entries in [0, 1] summing to 1, within 1e-9); ``probs`` must be positive
    wherever the target is. With a one-hot target this equals :func:`categorical_cross_entropy`.
    """
    ps = _outputs("kl_divergence", probs)
    ts = check_targets("kl_divergence", target, len(ps))
    for i, t in enumerate(ts):
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"kl_divergence: target {i} must be a probability in [0, 1], got {t!r}")
    if abs(sum(ts) - 1.0) > 1e-9:
        raise ValueError(f"kl_divergence: the target probabilities must sum to 1, got {sum(ts)!r}")
    terms = []
    for i, (p, t) in enumerate(zip(ps, ts)):
        if t == 0.0:
            continue
        pd = _data(p)
        if not 0.0 < pd <= 1.0:
            raise ValueError(f"kl_divergence: output {i} must be a probability in (0, 1] where the target is "
                             f"positive, got {pd!r}")
        terms.append(t * (math.log(t) - ag.log(p)))
    return terms[0] if len(terms) == 1 else (ag.sum(terms) if _any_value(terms) else sum(terms, 0.0))


# ---------------------------------------------------------------------------------------------------------------
# regularisation
# ---------------------------------------------------------------------------------------------------------------
def l2_penalty(params, lam: Number) -> Value:
    """Weight decay term ``(λ/2) Σ w²``, whose gradient is ``λ w``: the delta rule's ``D = Δ/n + λ W``.

    ``params`` is a module (then only its weights count: biases are not regularised) or an iterable of Values
    (then exactly those). The lecture's ``(λ / 2n) Σ w²`` is ``l2_penalty(model, λ / n)``.
    """
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not math.isfinite(lam) or lam < 0:
        raise ValueError(f"l2_penalty: lam must be a finite number >= 0, got {lam!r}")
    if isinstance(params, Module):
        ws = params.weights()
    elif isinstance(params, Value):
        raise TypeError("l2_penalty: params must be a module or a list of Values; wrap a single Value in a list")
    else:
        ws = list(params)
        for i, w in enumerate(ws):
            if not isinstance(w, Value):
                raise TypeError(f"l2_penalty: params[{i}] must be a Value, got {describe(w)}")
    if not ws or lam == 0:
        return Value(0.0)
    return ag.sum([w * w for w in ws]) * (0.5 * float(lam))


# ---------------------------------------------------------------------------------------------------------------
# lookup by name, accuracy rules
# ---------------------------------------------------------------------------------------------------------------
LOSSES: dict = {
    "mse": mse,
    "half_mse": half_mse,
    "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "categorical_cross_entropy": categorical_cross_entropy,
    "kl_divergence": kl_divergence,
    "hinge": hinge,
}


def get_loss(loss: Union[str, Callable]) -> Callable:
    """A loss function from its name (a key of :data:`LOSSES`) or the callable itself."""
    if isinstance(loss, str):
        try:
            return LOSSES[loss]
        except KeyError:
            raise ValueError(f"unknown loss {loss!r}; valid names: {', '.join(LOSSES)} "
                             "(or pass any callable loss(outputs, target) -> Value)") from None
    if not callable(loss):
        raise TypeError(f"loss must be a name ({', '.join(LOSSES)}) or a callable loss(outputs, target), "
                        f"got {describe(loss)}")
    return loss


# the losses that add one term per output and so take reduction="mean" | "sum"
ELEMENTWISE_LOSSES = ("mse", "half_mse", "binary_cross_entropy", "binary_cross_entropy_with_logits", "hinge")


def with_reduction(loss: Union[str, Callable], reduction: str = "mean", where: str = "with_reduction") -> Callable:
    """The loss function ``loss(outputs, target)`` with its reduction over the outputs of a sample fixed.

    ``"mean"`` returns the loss itself, unchanged (every loss's default). ``"sum"`` returns, for an elementwise loss
    (:data:`ELEMENTWISE_LOSSES`), a function that calls it with ``reduction="sum"``. ``"sum"`` for
    ``cross_entropy``, ``categorical_cross_entropy`` or ``kl_divergence`` (sums over the classes already) or for a
    loss function of your own (it decides its own reduction) is a ValueError; messages start with ``where``.
    """
    loss_fn = get_loss(loss)
    check_reduction(where, reduction)
    if reduction == "mean":
        return loss_fn
    name = loss_name(loss_fn)
    if name is None:
        raise ValueError(f"{where}: reduction={reduction!r} applies to nn's elementwise losses "
                         f"({', '.join(ELEMENTWISE_LOSSES)}); a loss function of your own decides its own reduction: "
                         "leave reduction='mean' and write the sum into it")
    if name not in ELEMENTWISE_LOSSES:
        raise ValueError(f"{where}: {name} is already a sum over the classes (not an average over the outputs), so it "
                         f"takes no reduction; leave reduction='mean' (reduction applies to "
                         f"{', '.join(ELEMENTWISE_LOSSES)})")

    def summed(outputs, target):
        return loss_fn(outputs, target, reduction=reduction)

    summed.__name__ = f"{name}_{reduction}"
    summed.__doc__ = f"{name}(outputs, target, reduction={reduction!r})"
    return summed


def loss_name(loss: Callable) -> str | None:
    """The :data:`LOSSES` name of a built-in loss function, or None for any other callable."""
    for name, f in LOSSES.items():
        if f is loss:
            return name
    return None


def _argmax(xs: Iterable[float]) -> int:
    best, best_i = -math.inf, 0
    for i, x in enumerate(xs):
        if x > best:
            best, best_i = x, i
    return best_i


# the rules take the outputs as a model call returns them: a list, or the single Value itself
def _correct_class(outputs, target) -> bool:
    return _argmax(_data(o) for o in as_outputs(outputs)) == int(target)


def _correct_prob(outputs, target) -> bool:
    ts = [target] if isinstance(target, numbers.Number) else list(target)
    return all((_data(o) >= 0.5) == (t >= 0.5) for o, t in zip(as_outputs(outputs), ts))


def _correct_logit(outputs, target) -> bool:
    ts = [target] if isinstance(target, numbers.Number) else list(target)
    return all((_data(o) >= 0.0) == (t >= 0.5) for o, t in zip(as_outputs(outputs), ts))


def _correct_sign(outputs, target) -> bool:
    ts = [target] if isinstance(target, numbers.Number) else list(target)
    return all((_data(o) > 0.0) == (t > 0.0) for o, t in zip(as_outputs(outputs), ts))


def _correct_dist(outputs, target) -> bool:
    return _argmax(_data(o) for o in as_outputs(outputs)) == _argmax(target)


_ACCURACY: dict = {
    cross_entropy: _correct_class,
    categorical_cross_entropy: _correct_class,
    binary_cross_entropy: _correct_prob,
    binary_cross_entropy_with_logits: _correct_logit,
    hinge: _correct_sign,
    kl_divergence: _correct_dist,
}


def accuracy_rule(loss: Union[str, Callable]) -> Callable | None:
    """``correct(outputs, target) -> bool`` for a classification loss, None for regression and unknown losses.

    ``outputs`` is what the model call returns (a list, or a single Value or float). Class losses: argmax of the
    outputs equals the class. Binary: probability >= 0.5 (logit >= 0, score > 0 for hinge) matches target >= 0.5
    (> 0 for hinge), for every output.
    """
    return _ACCURACY.get(get_loss(loss))
