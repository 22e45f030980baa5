"""Graph walks: the one topological order, backward into ``.grad``, and ``gradients`` (optionally differentiable).

``topological_order`` is the only ordering in the library: backward, the stepper and the renderer all use it.
Nothing here recurses, so graph depth is limited by memory, not by Python's recursion limit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Union

from .anomaly import _backward_anomaly

__all__ = ["topological_order", "backward", "gradients", "zero_grad"]


def topological_order(root) -> list:
    """Every node ``root`` depends on, each once, parents before children; ``root`` is last.

    Iterative depth-first search over ``parents`` in argument order, so the order (and with it every gradient
    sum) is the same on every run. Leaves are placed as soon as they are met; interior nodes once all their
    parents are placed. Backward visits ``reversed(topological_order(root))``.
    """
    order: list = []
    entered: set = set()
    done: set = set()
    stack = [root]
    push, pop = stack.append, stack.pop
    enter, finish, place = entered.add, done.add, order.append
    while stack:
        v = stack[-1]
        if v in entered:
            # second visit: every parent pushed on the first visit has been placed
            pop()
            if v not in done:
                finish(v)
                place(v)
            continue
        enter(v)
        for p in v.parents:
            if p.parents:
                if p not in entered:
                    push(p)
            elif p not in done:
                finish(p)
                place(p)
    return order


def backward(root, grad: float = 1.0, anomaly: bool = False) -> list:
    """Backward pass from ``root`` into ``.grad`` (what ``Value.backward`` runs); returns the topological order.

    Interior grads are reset first; leaves accumulate. Each node's local derivatives come from its op's table
    entry, evaluated on floats here rather than stored per node.
    """
    order = topological_order(root)
    for v in order:
        if v._op is not None:
            v.grad = 0.0
    if root._op is None:
        root.grad += grad
        return order
    root.grad = grad
    if anomaly:
        _backward_checked(order)
        return order
    for v in reversed(order):
        op = v._op
        if op is None:
            continue
        g = v.grad
        ps = v.parents
        n = op.arity
        if n == 2:
            x, y = ps
            dx, dy = op.derivs
            if dx is None:
                x.grad += g
            else:
                x.grad += g * dx(x.data, y.data, v.data, v._arg)
            if dy is None:
                y.grad += g
            else:
                y.grad += g * dy(x.data, y.data, v.data, v._arg)
        elif n == 1:
            x = ps[0]
            x.grad += g * op.derivs[0](x.data, v.data, v._arg)
        else:
            d = op.derivs[0]
            if d is None:
                for p in ps:
                    p.grad += g
            else:
                datas = tuple(p.data for p in ps)
                for i, p in enumerate(ps):
                    p.grad += g * d(i, datas, v.data, v._arg)
    return order


def _backward_checked(order: list) -> None:
    # Anomaly mode: the same walk, checking every local derivative and every gradient for nan/inf.
    isfinite = math.isfinite
    for v in reversed(order):
        op = v._op
        if op is None:
            continue
        g = v.grad
        ps = v.parents
        locals_ = op.local_derivatives(tuple(p.data for p in ps), v.data, v._arg)
        for i, (p, d) in enumerate(zip(ps, locals_)):
            contribution = g * d
            total = p.grad + contribution
            if not (isfinite(d) and isfinite(total)):
                raise _backward_anomaly(v, i, g, d, p.grad)
            p.grad = total


def gradients(output, inputs, grad_output: Union[float, object] = 1.0, create_graph: bool = False):
    """d output / d input for each input, without touching any ``.grad``.

    Args:
        output: the Value to differentiate.
        inputs: a Value (the result is then a single gradient) or a sequence of Values (a list of gradients).
        grad_output: the seed d L / d output (default 1.0); may be a Value when ``create_graph=True``.
        create_graph: if True, the gradients are Values whose own graphs are differentiable (every local
            derivative is evaluated on Values), so ``gradients`` can be applied to them again for second and
            higher derivatives. If False, they are floats.

    An input that ``output`` does not depend on gets 0.0 (``Value(0.0)`` with ``create_graph=True``).
    """
    from .value import Value, anomaly_enabled

    single = isinstance(inputs, Value)
    targets: Sequence = (inputs,) if single else list(inputs)
    for i, t in enumerate(targets):
        if not isinstance(t, Value):
            raise TypeError(f"gradients: inputs[{i}] must be a Value, got {type(t).__name__}")
    if not isinstance(output, Value):
        raise TypeError(f"gradients: output must be a Value, got {type(output).__name__}; "
                        "use autograd_core.jacobian for a list of outputs")
    if isinstance(grad_output, Value):
        if not create_graph:
            grad_output = grad_output.data
    elif type(grad_output) is not float:
        if isinstance(grad_output, bool) or not isinstance(grad_output, (int, float)):
            raise TypeError(f"gradients: grad_output must be a number or a Value, got {type(grad_output).__name__}")
        grad_output = float(grad_output)
    check = anomaly_enabled()
    acc = {output: grad_output}
    for v in reversed(topological_order(output)):
        op = v._op
        if op is None:
            continue
        g = acc.get(v)
        if g is None:
            continue
        ps = v.parents
        if create_graph:
            try:
                locals_ = op.local_derivatives(ps, v, v._arg)
            except (ValueError, ZeroDivisionError, OverflowError, FloatingPointError) as e:
                err = _create_graph_error(v, e, check, g)
                if err is e:
                    raise
                raise err from e
        else:
            locals_ = op.local_derivatives(tuple(p.data for p in ps), v.data, v._arg)
        for i, (p, d) in enumerate(zip(ps, locals_)):
            # a constant local derivative of 1 passes the upstream gradient on without a new node
            prev = acc.get(p)
            try:
                contribution = g if (type(d) is float and d == 1.0) else g * d
                total = contribution if prev is None else prev + contribution
            except FloatingPointError:
                # anomaly mode with create_graph=True: the product or sum node overflowed as it was recorded
                raise _backward_anomaly(v, i, float(g), float(d), 0.0 if prev is None else float(prev)) from None
            if check and not (math.isfinite(float(d)) and math.isfinite(float(total))):
                raise _backward_anomaly(v, i, float(g), float(d), 0.0 if prev is None else float(prev))
            acc[p] = total
    results = []
    for t in targets:
        r = acc.get(t, 0.0)
        if create_graph and not isinstance(r, Value):
            r = Value(r)
        elif not create_graph and isinstance(r, Value):
            r = r.data
        results.append(r)
    return results[0] if single else results


def _create_graph_error(node, exc: Exception, check: bool, upstream) -> Exception:
    """Why a local derivative could not be built on Values. When it is infinite here (sqrt' at 0, where plain mode
    gives inf): in anomaly mode the same AnomalyError as plain backward, otherwise the error's type with a message
    that says so. Any other failure is returned unchanged (``exc`` itself)."""
    op = node._op
    try:
        on_floats = op.local_derivatives(tuple(p.data for p in node.parents), node.data, node._arg)
    except (ValueError, ZeroDivisionError, OverflowError):
        return exc  # the derivative fails on floats too: the original error says why
    infinite = [i for i, d in enumerate(on_floats) if not math.isfinite(d)]
    if not infinite:
        return exc
    if check:
        return _backward_anomaly(node, infinite[0], float(upstream), on_floats[infinite[0]], 0.0)
    kind = next((k for k in (ZeroDivisionError, OverflowError, ValueError) if isinstance(exc, k)), ValueError)
    where = f"node '{node.label}'" if node.label else "an unlabelled node"
    operands = ", ".join(repr(p.data) for p in node.parents)
    shown = ", ".join(repr(d) for d in on_floats)
    return kind(f"gradients(create_graph=True): the local derivative of {op.name} at {where} (operands {operands}) "
                f"cannot be built as a differentiable Value ({exc}); on floats it is {shown}: the derivative is not "
                "finite here, so it has no derivative to take")


def zero_grad(values: Iterable) -> None:
    """Set ``.grad`` of each Value in ``values`` (a Value or an iterable of Values) to 0.0."""
    from .value import Value

    if isinstance(values, Value):
        values.grad = 0.0
        return
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"zero_grad: item {i} is a {type(v).__name__}, not a Value")
        v.grad = 0.0
