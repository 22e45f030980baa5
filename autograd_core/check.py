"""Gradient checkers that say *which op* is wrong, not only *that* a gradient is wrong.

:func:`gradcheck` compares the analytic gradient of ``f`` with central differences,

    ∂f/∂x_j ≈ (f(x + ε e_j) - f(x - ε e_j)) / 2ε,

and on a mismatch localises the fault: every recorded node's local derivatives (``Op.local_derivatives``) are
compared with central differences of that op's forward alone, and the first op in topological order that disagrees
is named with its node and inputs. :func:`gradgradcheck` does the same one order up: second derivatives from
``gradients(create_graph=True)`` against central differences of the analytic first derivative, and per op, the
derivatives of its local derivatives (evaluated on Values, as create-graph mode does) against central differences
of its local derivatives on floats.

Both use PyTorch's defaults and its closeness test: ``|analytic - numeric| <= atol + rtol * |numeric|``.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Sequence
from typing import Union

from .functional import not_a_value
from .graph import gradients, topological_order
from .ops import Op
from .switches import is_grad_enabled
from .value import Value, apply

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
Inputs = Union[float, Value, Sequence[Union[float, Value]]]


class GradcheckError(Exception):
    """An analytic derivative disagrees with central differences (raised by :func:`gradcheck`/:func:`gradgradcheck`).

    A project error class deriving from ``Exception`` directly: not an ``AssertionError`` (it is a finding about
    the code under test, not a failed internal assertion, and it must survive ``python -O``) and not a
    ``ValueError`` (so ``except ValueError`` around a domain error never swallows it).

    Attributes:
        index: the input index (gradcheck) or the pair (i, j) of ∂²f/∂x_i∂x_j (gradgradcheck) of the first mismatch.
        label: the label of that input ("" when unlabelled); for gradgradcheck the pair of labels.
        analytic: the analytic derivative at the first mismatch.
        numeric: the central-difference estimate at the first mismatch.
        op: name of the op found faulty by localisation, or None when no single op disagrees.
        node: the graph node (a Value) at which that op was recorded, or None.
        fault: the localisation sentence (``op 'my_sin' at node 'h3' (input 0.5): local derivative ...``), or None.
    """

    def __init__(self, message: str, *, index: Union[int, tuple, None] = None, label: Union[str, tuple] = "",
                 analytic: float | None = None, numeric: float | None = None, op: str | None = None,
                 node: Value | None = None, fault: str | None = None) -> None:
        super().__init__(message)
        self.index = index
        self.label = label
        self.analytic = analytic
        self.numeric = numeric
        self.op = op
        self.node = node
        self.fault = fault


# ------------------------------------------------------------------------------------------------ small helpers
def _fmt_pair(a: float, b: float) -> tuple[str, str]:
    # 4 significant digits, more if needed so that two different numbers never print alike
    for digits in (4, 6, 9, 12, 17):
        sa, sb = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if sa != sb:
            break
    return sa, sb


def _close(analytic: float, numeric: float, atol: float, rtol: float, rounding: float = 0.0) -> bool:
    if analytic == numeric:
        return True
    if not (math.isfinite(analytic) and math.isfinite(numeric)):
        return False
    return abs(analytic - numeric) <= atol + rtol * abs(numeric) + rounding


def _input_name(index: int, label: str) -> str:
    return f"input {index} ('{label}')" if label else f"input {index}"


def _node_name(v: Value, position: int) -> str:
    # unlabelled nodes are numbered by their position in autograd_core.topological_order(output)
    return f"node '{v.label}'" if v.label else f"unlabelled node #{position}"


def _inputs_text(op: Op, datas: Sequence[float], arg) -> str:
    shown = ", ".join(f"{x:.6g}" for x in datas)
    text = f"input {shown}" if len(datas) == 1 else f"inputs {shown}"
    if op.param is not None and arg is not None:
        text += f"; {op.param}={arg:.6g}"
    return text


def _float_local(op: Op, datas: Sequence[float], arg, i: int) -> float:
    # local derivative i on floats at datas, with the output recomputed from the op's forward
    return float(op.local_derivatives(tuple(datas), op.forward(*datas, arg), arg)[i])


def _step(x: float, eps: float) -> float:
    # per-op checks scale the step with the input, so large operands do not drown the difference in rounding
    return eps * max(1.0, abs(x))


def _central(fn: Callable[[list], float], datas: Sequence[float], j: int, eps: float) -> tuple[float, float]:
    """(fn(x + h e_j) - fn(x - h e_j)) / 2h, and a bound on its rounding error (a few ulps of fn over h).

    The bound widens per-op tolerances where an operand is large (``1e8 + x``): there the difference quotient
    cannot be more accurate, and a false fault would be worse than none.
    """
    h = _step(datas[j], eps)
    plus, minus = list(datas), list(datas)
    plus[j] += h
    minus[j] -= h
    f_plus, f_minus = fn(plus), fn(minus)
    rounding = 4.0 * sys.float_info.epsilon * max(abs(f_plus), abs(f_minus)) / h
    return (f_plus - f_minus) / (2.0 * h), rounding


def _near_kink(op: Op, datas: Sequence[float], eps: float) -> bool:
    return any(abs(x - k) <= _step(x, eps) for x in datas for k in op.kinks)


def _prepare(where: str, inputs: Inputs) -> tuple[list[float], list[str]]:
    if isinstance(inputs, (Value, numbers.Real)) and not isinstance(inputs, bool):
        inputs = [inputs]
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"{where}: inputs must be a number, a Value or a list of them, got {type(inputs).__name__}")
    if not inputs:
        raise ValueError(f"{where}: inputs is empty; pass the point to check, e.g. [0.5, 2.0]")
    datas, labels = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            d, label = x.data, x.label
        elif isinstance(x, numbers.Real) and not isinstance(x, bool):
            d, label = float(x), ""
        else:
            raise TypeError(f"{where}: inputs[{i}] must be a real number or a Value, got {type(x).__name__} {x!r:.60}")
        if not math.isfinite(d):
            raise ValueError(f"{where}: inputs[{i}] is {d!r}; derivatives can only be checked at finite points")
        datas.append(d)
        labels.append(label)
    return datas, labels


def _check_settings(where: str, eps: float, atol: float, rtol: float) -> None:
    for name, x, positive in (("eps", eps, True), ("atol", atol, False), ("rtol", rtol, False)):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"{where}: {name} must be a number, got {type(x).__name__}")
        if not math.isfinite(x) or x < 0 or (positive and x == 0):
            raise ValueError(f"{where}: {name} must be a finite number {'> 0' if positive else '>= 0'}, got {x!r}")
    if not is_grad_enabled():
        raise ValueError(f"{where}: called inside autograd_core.no_grad(), where no graph is recorded; call it "
                         "outside no_grad()")


def _output(where: str, f: Callable, datas: Sequence[float], labels: list[str]) -> tuple[Value, list[Value]]:
    # fresh leaves on every call, so the caller's Values (and their .grad) are never touched
    leaves = [Value(d, label) for d, label in zip(datas, labels)]
    out = f(*leaves)
    if isinstance(out, Value):
        return out, leaves
    raise not_a_value(where, out, f"check each output separately: {where}(lambda *xs: f(*xs)[k], inputs)")


def _perturbed(where: str, labels: list[str], j: int, datas: Sequence[float], eps: float,
               fn: Callable[[list], object]) -> tuple[object, object]:
    # evaluates fn at x + eps e_j and x - eps e_j; a domain error there means the point is too close to an edge
    results = []
    for sign in (1.0, -1.0):
        shifted = list(datas)
        shifted[j] += sign * eps
        try:
            results.append(fn(shifted))
        except _MATH_ERRORS as e:
            raise ValueError(f"{where}: f cannot be evaluated at {_input_name(j, labels[j])} "
                             f"{'+' if sign > 0 else '-'} eps = {shifted[j]!r} ({type(e).__name__}: {e}); check at a "
                             "point at least eps inside f's domain, or pass a smaller eps") from e
    return results[0], results[1]


# ------------------------------------------------------------------------------------------------ localisation
class _Fault:
    __slots__ = ("op", "node", "text")

    def __init__(self, op: str, node: Value, text: str) -> None:
        self.op, self.node, self.text = op, node, text


def _skip_note(op: Op, v: Value, position: int, datas: Sequence[float], why: str) -> str:
    return f"{op.name} at {_node_name(v, position)} ({_inputs_text(op, datas, v.arg)}): {why}"


def _localise_first(out: Value, eps: float, atol: float, rtol: float, skipped: list[str]) -> _Fault | None:
    """The first node (topological order) whose op's local derivatives disagree with central differences."""
    for position, v in enumerate(topological_order(out)):
        op = v.op_entry
        if op is None:
            continue
        datas = [p.data for p in v.parents]
        arg = v.arg
        if _near_kink(op, datas, eps):
            skipped.append(_skip_note(op, v, position, datas, "within eps of a kink"))
            continue
        try:
            analytic = op.local_derivatives(tuple(datas), v.data, arg)
        except _MATH_ERRORS as e:
            skipped.append(_skip_note(op, v, position, datas, f"its local derivative raised {type(e).__name__}"))
            continue
        for i in range(len(datas)):
            try:
                numeric, rounding = _central(lambda xs, op=op, arg=arg: op.forward(*xs, arg), datas, i, eps)
            except _MATH_ERRORS:
                skipped.append(_skip_note(op, v, position, datas, "forward undefined within eps (domain edge)"))
                continue
            a = float(analytic[i])
            if not _close(a, numeric, atol, rtol, rounding):
                sa, sn = _fmt_pair(a, numeric)
                which = f" w.r.t. input {i}" if len(datas) > 1 else ""
                return _Fault(op.name, v, f"op '{op.name}' at {_node_name(v, position)} "
                                          f"({_inputs_text(op, datas, arg)}): local derivative{which} {sa} vs "
                                          f"numeric {sn}")
    return None


_PLAIN_FLOAT_HINT = ("its local derivative returned a plain number ({value}) for Value inputs, so create_graph=True "
                     "treated it as a constant: write the derivative with Value arithmetic and autograd_core's "
                     "functions (autograd_core.cos(x), autograd_core.exp(x), ...), not math.*, which turns a Value "
                     "into a float")


def _localise_second(out: Value, eps: float, atol: float, rtol: float, skipped: list[str]) -> _Fault | None:
    """The first node whose op's local derivatives misbehave in create-graph mode.

    Per node: the local derivatives evaluated on fresh leaf Values (as ``gradients(create_graph=True)`` does) must
    run, agree with their float values, and have derivatives matching central differences of the float ones.
    """
    for position, v in enumerate(topological_order(out)):
        op = v.op_entry
        if op is None or all(d is None for d in op.derivs):
            continue  # no op at a leaf; derivatives that are all the constant 1 have exact zero derivatives
        datas = [p.data for p in v.parents]
        arg = v.arg
        where = f"op '{op.name}' at {_node_name(v, position)} ({_inputs_text(op, datas, arg)})"
        if _near_kink(op, datas, eps):
            skipped.append(_skip_note(op, v, position, datas, "within eps of a kink"))
            continue
        leaves = [Value(d) for d in datas]
        try:
            node = apply(op, *leaves, arg=arg)  # fresh leaves: derivatives depend on them alone
            on_values = op.local_derivatives(tuple(leaves), node, arg)
        except _MATH_ERRORS as e:
            skipped.append(_skip_note(op, v, position, datas, f"its local derivative raised {type(e).__name__}"))
            continue
        except Exception as e:  # any failure of a user's derivative on Values is the finding itself
            return _Fault(op.name, v, f"{where}: its local derivative fails on Value inputs (create_graph=True): "
                                      f"{type(e).__name__}: {e}")
        try:
            on_floats = op.local_derivatives(tuple(datas), v.data, arg)
        except _MATH_ERRORS as e:
            skipped.append(_skip_note(op, v, position, datas, f"its local derivative raised {type(e).__name__}"))
            continue
        for i, (dv, df) in enumerate(zip(on_values, on_floats)):
            which = f" w.r.t. input {i}" if len(datas) > 1 else ""
            value_on_values = dv.data if isinstance(dv, Value) else float(dv)
            if not _close(value_on_values, float(df), atol, rtol):
                sa, sb = _fmt_pair(value_on_values, float(df))
                return _Fault(op.name, v, f"{where}: local derivative{which} is {sa} on Values (create_graph=True) "
                                          f"but {sb} on floats")
            for j in range(len(datas)):
                analytic = gradients(dv, leaves[j]) if isinstance(dv, Value) else 0.0
                try:
                    numeric, rounding = _central(lambda xs, op=op, arg=arg, i=i: _float_local(op, xs, arg, i),
                                                 datas, j, eps)
                except _MATH_ERRORS:
                    skipped.append(_skip_note(op, v, position, datas, "local derivative undefined within eps"))
                    continue
                if not _close(analytic, numeric, atol, rtol, rounding):
                    sa, sn = _fmt_pair(analytic, numeric)
                    by = f" w.r.t. input {j}" if len(datas) > 1 else ""
                    text = f"{where}: derivative{by} of its local derivative{which} {sa} vs numeric {sn}"
                    if not isinstance(dv, Value):
                        text += "; " + _PLAIN_FLOAT_HINT.format(value=f"{float(dv):.4g}")
                    return _Fault(op.name, v, text)
    return None


def _explain(fault: _Fault | None, skipped: list[str], checked: str) -> str:
    if fault is not None:
        return f"\nfault: {fault.text}"
    shown = "; ".join(skipped[:5]) + ("; ..." if len(skipped) > 5 else "")
    if any(note.endswith("within eps of a kink") for note in skipped):
        return (f"\nno recorded op's {checked} away from kinks; skipped: {shown}. At a kink the derivative is a "
                "convention (relu'(0) = 0) and central differences straddle it: check at a point away from kinks")
    text = (f"\nno recorded op's {checked}, so the mismatch comes from how f builds its result: a value taken out "
            "of the graph (.data, float(), math.*), a branch on values, or an eps unsuited to f (too large for its "
            "curvature, or too small for the size of its values)")
    if skipped:
        text += f"\nskipped local checks: {shown}"
    return text


# ------------------------------------------------------------------------------------------------ the checkers
def gradcheck(f: Callable[..., Value], inputs: Inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True) -> bool:
    """Check the analytic gradient of ``f`` at ``inputs`` against central differences; name the faulty op.

    ``f`` takes one Value per input and returns a Value. ``inputs`` are numbers or Values (a Value's data is the
    point and its label is used in messages; fresh leaves are made, so no ``.grad`` is touched). For each input j,

        numeric_j = (f(x + ε e_j) - f(x - ε e_j)) / 2ε,

    and the check passes when ``|analytic_j - numeric_j| <= atol + rtol * |numeric_j|`` for every j (PyTorch's
    defaults and test). Returns True; on a mismatch raises :class:`GradcheckError` (or returns False when
    ``raise_exception=False``) naming the input (index and label), the analytic and the numeric value.

    The fault is then localised: every recorded node's local derivatives (``Op.local_derivatives``) are compared
    with central differences of that op's forward alone, and the first op in topological order that disagrees is
    named with its node and inputs, e.g. ``op 'my_sin' at node 'h3' (input 0.5): local derivative 0.8776 vs numeric
    0.4794`` (an unlabelled node is named ``#k``, its position in ``autograd_core.topological_order(output)``).

    Kinks: a node whose input lies within eps of one of its op's kinks (``Op.kinks``: relu, abs, step, leaky_relu,
    elu at 0), exactly at the kink included, is skipped by the local check rather than reported: the derivative
    there is a convention and central differences straddle the kink. Skipped nodes are listed when no op is found
    at fault, so a global mismatch caused by a kink says so.

    Raises ValueError when f cannot be evaluated within eps of the point (a domain edge) and TypeError when f
    does not return a Value.
    """
    datas, labels = _prepare("gradcheck", inputs)
    _check_settings("gradcheck", eps, atol, rtol)
    out, leaves = _output("gradcheck", f, datas, labels)
    analytic = gradients(out, leaves)

    def value_at(xs: list) -> float:
        return _output("gradcheck", f, xs, labels)[0].data

    mismatches = []
    for j in range(len(datas)):
        plus, minus = _perturbed("gradcheck", labels, j, datas, eps, value_at)
        numeric = (plus - minus) / (2.0 * eps)
        if not _close(analytic[j], numeric, atol, rtol):
            mismatches.append((j, analytic[j], numeric))
    if not mismatches:
        return True
    if not raise_exception:
        return False
    lines = []
    for j, a, n in mismatches:
        sa, sn = _fmt_pair(a, n)
        lines.append(f"d output / d {_input_name(j, labels[j])}: analytic {sa} vs numeric {sn}")
    skipped: list[str] = []
    fault = _localise_first(out, eps, atol, rtol, skipped)
    j, a, n = mismatches[0]
    message = (f"gradcheck: the analytic gradient disagrees with central differences (eps={eps:g}, atol={atol:g}, "
               f"rtol={rtol:g}): " + "; ".join(lines)
               + _explain(fault, skipped, "local derivatives disagree with central differences of its forward"))
    raise GradcheckError(message, index=j, label=labels[j], analytic=a, numeric=n,
                         op=fault.op if fault else None, node=fault.node if fault else None,
                         fault=fault.text if fault else None)


def gradgradcheck(f: Callable[..., Value], inputs: Inputs, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Check the second derivatives of ``f`` at ``inputs`` (double backward); name the faulty op.

    The analytic second derivatives come from double backward: g = ``gradients(f(x), x, create_graph=True)``, then
    H_ij = ``gradients(g_i, x_j)``. Each is compared with central differences of the analytic first derivative
    (computed without create_graph),

        numeric_ij = (g_i(x + ε e_j) - g_i(x - ε e_j)) / 2ε,

    and the create-graph first derivatives must equal the plain ones. Same arguments, tolerance test, return value
    and kink rule as :func:`gradcheck` (run gradcheck first: this checks second derivatives only).

    On a mismatch (or when create-graph mode itself fails) the fault is localised per op: the local derivatives
    evaluated on fresh leaf Values (as create-graph mode does) must run, agree with their float values, and have
    derivatives matching central differences of the float local derivatives. A custom op whose derivative was
    written with ``math.cos`` instead of ``autograd_core.cos`` is named this way, with the fix.
    """
    datas, labels = _prepare("gradgradcheck", inputs)
    _check_settings("gradgradcheck", eps, atol, rtol)
    out, leaves = _output("gradgradcheck", f, datas, labels)
    n = len(datas)

    def first_at(xs: list) -> list:
        o, ls = _output("gradgradcheck", f, xs, labels)
        return gradients(o, ls)

    mismatches = []
    failure = None
    try:
        first = gradients(out, leaves, create_graph=True)
        hess = [gradients(g, leaves) for g in first]
    except _MATH_ERRORS:
        raise
    except Exception as e:  # create-graph mode broke inside some op's derivative: localise, then report
        failure = e
    if failure is None:
        plain = gradients(out, leaves)
        for i in range(n):
            if not _close(first[i].data, plain[i], atol, rtol):
                mismatches.append(((i, None), first[i].data, plain[i]))
        for j in range(n):
            plus, minus = _perturbed("gradgradcheck", labels, j, datas, eps, first_at)
            for i in range(n):
                numeric = (plus[i] - minus[i]) / (2.0 * eps)
                if not _close(hess[i][j], numeric, atol, rtol):
                    mismatches.append(((i, j), hess[i][j], numeric))
        if not mismatches:
            return True
        if not raise_exception:
            return False
    skipped: list[str] = []
    fault = _localise_second(out, eps, atol, rtol, skipped)
    if failure is not None:
        if fault is None:
            raise failure
        if not raise_exception:
            return False
        raise GradcheckError(f"gradgradcheck: gradients(create_graph=True) failed ({type(failure).__name__}: "
                             f"{failure})\nfault: {fault.text}", op=fault.op, node=fault.node,
                             fault=fault.text) from failure
    lines = []
    for (i, j), a, num in mismatches:
        sa, sn = _fmt_pair(a, num)
        if j is None:
            lines.append(f"d output / d {_input_name(i, labels[i])} with create_graph=True: {sa} vs {sn} without")
        else:
            lines.append(f"d²output / d {_input_name(i, labels[i])} d {_input_name(j, labels[j])}: analytic {sa} "
                         f"vs numeric {sn}")
    (i, j), a, num = mismatches[0]
    index = (i, i if j is None else j)
    message = (f"gradgradcheck: the analytic second derivatives disagree with central differences of the first "
               f"derivative (eps={eps:g}, atol={atol:g}, rtol={rtol:g}): " + "; ".join(lines)
               + _explain(fault, skipped, "local derivatives misbehave on Values or disagree with central "
                                          "differences of their float values"))
    raise GradcheckError(message, index=index, label=(labels[index[0]], labels[index[1]]), analytic=a, numeric=num,
                         op=fault.op if fault else None, node=fault.node if fault else None,
                         fault=fault.text if fault else None)
