"""Anomaly mode's errors: stop at the first op that produces nan or inf, forward or backward, and say why.

The switch itself is :func:`autograd_core.detect_anomaly` (per thread, in :mod:`autograd_core.switches`); the
reasons come from the op table's one explainer, :meth:`autograd_core.Op.explain`. Outside anomaly mode nothing is
checked: the forward hot path tests one flag it tests anyway, and backward picks its checked walk once per call.
"""

from __future__ import annotations

import math

__all__ = ["AnomalyError", "forward_anomaly", "domain_error", "backward_anomaly", "describe_node"]

_BIG = "the largest float (1.8e308)"


class AnomalyError(FloatingPointError):
    """Raised in anomaly mode when an op produces nan or inf in the forward pass, or a gradient becomes nan or inf
    in backward. The message names the op, its operand values, the node's label and the likely cause."""


class AnomalyValueError(AnomalyError, ValueError):
    """A domain error (log of 0, sqrt of a negative, ...) raised in anomaly mode: both AnomalyError and ValueError."""


class AnomalyZeroDivisionError(AnomalyError, ZeroDivisionError):
    """A division by zero (x / 0, 0 ** negative) in anomaly mode: both AnomalyError and ZeroDivisionError."""


class AnomalyOverflowError(AnomalyError, OverflowError):
    """An overflow (exp, pow) in anomaly mode: both AnomalyError and OverflowError."""


_AS_ANOMALY = {ValueError: AnomalyValueError, ZeroDivisionError: AnomalyZeroDivisionError,
               OverflowError: AnomalyOverflowError}


def describe_node(node) -> str:
    """``node 'h'`` for a labelled node, ``an unlabelled node`` otherwise."""
    return f"node '{node.label}'" if node.label else "an unlabelled node"


def _operands(parents, arg, op) -> str:
    shown = ", ".join(f"{p.data!r}" + (f" (Value '{p.label}')" if p.label else "") for p in parents)
    if op.param is not None and arg is not None:
        shown += f"; {op.param}={arg!r}"
    return shown


def domain_error(op, parents: tuple, arg, exc: Exception, anomaly: bool) -> Exception:
    """A math error raised by an op's forward, rebuilt as a typed error naming the op, the operands and labels.

    In anomaly mode the type is also an :class:`AnomalyError` (``AnomalyValueError`` is a ValueError too).
    """
    datas = [p.data for p in parents]
    kind, reason = op.explain(datas, arg, exc=exc)
    shown = "got " + ", ".join(repr(d) for d in datas)
    if op.param is not None and arg is not None:
        shown += f" ({op.param}={arg!r})"
    labels = [p.label for p in parents if p.label]
    where = f" (Value {', '.join(repr(x) for x in labels)})" if labels else ""
    message = f"{op.name}: {reason}, {shown}{where}"
    return _AS_ANOMALY.get(kind, AnomalyError)(message) if anomaly else kind(message)


def forward_anomaly(op, parents: tuple, arg, result: float) -> AnomalyError:
    """The forward pass produced ``result`` (nan or inf) at this op: what happened and why."""
    _, cause = op.explain([p.data for p in parents], arg, result)
    return AnomalyError(f"{op.name} produced {result!r} in the forward pass from operands "
                        f"{_operands(parents, arg, op)}: {cause}")


def backward_anomaly(node, index: int, upstream, local, before) -> AnomalyError:
    """The gradient of input ``index`` of ``node`` became non-finite in backward: where, and the likely cause."""
    upstream, local = float(upstream), float(local)
    before = 0.0 if before is None else float(before)
    op = node.op_entry
    parent = node.parents[index]
    who = f"'{parent.label}'" if parent.label else f"unlabelled {parent.op or 'leaf'}"
    operands = _operands(node.parents, node.arg, op)
    where = f"{op.name} at {describe_node(node)} (output {node.data!r}, operands {operands})"
    if not math.isfinite(upstream):
        cause = f"the upstream gradient arriving at this node is already {upstream!r}"
    elif not math.isfinite(local):
        cause = f"the local derivative is {local!r} at these operands ({op.doc})"
        if upstream == 0 and math.isinf(local):
            # an infinite local derivative times a zero upstream gradient gives nan, not inf
            cause = f"0 x inf: the upstream gradient is 0.0 and {cause}"
    else:
        cause = f"overflow: upstream {upstream!r} x local {local!r} added to {before!r} exceeds {_BIG}"
    return AnomalyError(f"backward: the gradient of input {index} ({who}) of {where} became non-finite; likely "
                        f"cause: {cause}")
