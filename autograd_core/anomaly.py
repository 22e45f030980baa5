"""Anomaly mode: stop at the first op that produces nan or inf, forward or backward, and say why.

Outside ``detect_anomaly()`` nothing is checked: the forward hot path tests one switch it tests anyway, and
backward picks its checked variant once per call.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["AnomalyError", "detect_anomaly"]

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


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: raise :class:`AnomalyError` at the first nan or inf, forward or backward.

    Domain errors (``log`` of 0, ``0 ** -1``, ``exp`` overflow) are raised as subclasses of both AnomalyError and
    their usual type (ValueError, ZeroDivisionError, OverflowError), with the likely cause in the message.
    """
    from . import value

    previous = value._set_anomaly(True)
    try:
        yield
    finally:
        value._set_anomaly(previous)


def _describe(node) -> str:
    return f"'{node.label}'" if node.label else f"unlabelled {node.op or 'leaf'}"


def _at(node) -> str:
    return f"node '{node.label}'" if node.label else "an unlabelled node"


def _operands(parents, arg, op) -> str:
    shown = ", ".join(f"{p.data!r}" + (f" (Value '{p.label}')" if p.label else "") for p in parents)
    if op.param is not None and arg is not None:
        shown += f"; {op.param}={arg!r}"
    return shown


def _nonfinite(x: float) -> bool:
    return not math.isfinite(x)


def likely_cause(op_name: str, inputs: tuple, result: float) -> str:
    """A one-line guess at why ``op_name(*inputs)`` gave ``result`` (nan, inf, or a domain error)."""
    bad = [x for x in inputs if _nonfinite(x)]
    if bad:
        return (f"an operand is already {bad[0]!r}: it was a leaf's data or came from an op run outside "
                "anomaly mode")
    if op_name == "log" and inputs and inputs[0] == 0:
        return "log of 0"
    if op_name == "log" and inputs and inputs[0] < 0:
        return "log of a negative number"
    if op_name == "sqrt" and inputs and inputs[0] < 0:
        return "square root of a negative number"
    if op_name in ("pow", "vpow", "rpow"):
        return "0 to a negative power" if any(x == 0 for x in inputs) else \
            ("a negative base to a non-integer power" if any(x < 0 for x in inputs) else
             f"overflow: the result exceeds {_BIG}")
    if op_name == "div" and len(inputs) == 2 and inputs[1] == 0:
        return "division by 0"
    if result != result:
        return "the op is undefined at these inputs (nan)"
    return f"overflow: the result exceeds {_BIG}"


def _forward_anomaly(op, parents, arg, result: float) -> AnomalyError:
    datas = tuple(p.data for p in parents)
    if op.name in ("pow", "rpow") and arg is not None:
        datas = datas + (arg,)
    cause = likely_cause(op.name, datas, result)
    operands = _operands(parents, arg, op)
    return AnomalyError(f"{op.name} produced {result!r} in the forward pass from operands {operands}: {cause}")


def _domain_anomaly(kind: type, message: str, op_name: str, datas: tuple) -> Exception:
    # an OverflowError is an infinite result, not an undefined one
    cause = likely_cause(op_name, datas, math.inf if issubclass(kind, OverflowError) else math.nan)
    return _AS_ANOMALY.get(kind, AnomalyError)(f"{message}; likely cause: {cause}")


def _backward_anomaly(node, index: int, upstream: float, local: float, before: float) -> AnomalyError:
    op = node._op
    parent = node.parents[index]
    where = f"{op.name} at {_at(node)} (output {node.data!r}, operands {_operands(node.parents, node._arg, op)})"
    if _nonfinite(upstream):
        cause = f"the upstream gradient arriving at this node is already {upstream!r}"
    elif _nonfinite(local):
        if op.name in ("pow", "vpow", "sqrt") and any(p.data == 0 for p in node.parents):
            cause = f"the local derivative is {local!r}: 0 to a negative power in the derivative of {op.name} at 0"
        elif op.name in ("log", "div") and any(abs(p.data) < 1e-300 for p in node.parents):
            cause = f"the local derivative is {local!r}: 1/x overflows for x this close to 0 (log of 0)"
        else:
            cause = f"the local derivative is {local!r} at these inputs"
        if upstream == 0 and math.isinf(local):
            # an infinite local derivative times a zero upstream gradient gives nan, not inf
            cause = f"0 x inf: the upstream gradient is 0.0 and {cause}"
    else:
        cause = (f"overflow: upstream {upstream!r} x local {local!r} added to {before!r} exceeds {_BIG}")
    return AnomalyError(f"backward: the gradient of input {index} ({_describe(parent)}) of {where} became "
                        f"non-finite; likely cause: {cause}")
