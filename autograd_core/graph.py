"""Graph walks: the one topological order, the one backward walk, backward into ``.grad`` and ``gradients``.

* :func:`topological_order` is the only ordering in the library: backward, the stepper and the renderer use it.
* :func:`walk` is the one backward walk, a generator yielding each node's upstream gradient and its parent updates
  ``parent += upstream x local``; anomaly checking, the stepper (:mod:`autograd_core.trace`) and :func:`gradients`
  (plain and ``create_graph``) are built on it, so reset-and-seed and the finiteness check are written once.
* :func:`backward` runs a specialised copy of that walk on floats, the hot path, when anomaly mode is off.

A backward that fails half way (a derivative undefined at its inputs) leaves every ``.grad`` as it was. Nothing
here recurses, so graph depth is limited by memory, not by Python's recursion limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from operator import attrgetter

from . import switches as _sw
from .anomaly import backward_anomaly, describe_node
from .ops import OPS, PY_ENV, exec_generated, to_float
from .value import HOOKS, Value

__all__ = ["topological_order", "walk", "backward", "gradients", "zero_grad", "leaf_grads"]

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
_grad_of = attrgetter("grad")


def topological_order(root) -> list:
    """Every node ``root`` depends on, each once, parents before children; ``root`` is last.

    Iterative depth-first search over ``parents``, so the order (and with it every gradient sum) is the same on
    every run. Leaves are placed as soon as they are met; an interior node once all its parents are placed. Backward
    visits ``reversed(topological_order(root))``.
    """
    order: list = []
    seen: set = set()
    stack = [root]
    push, pop, see, place = stack.append, stack.pop, seen.add, order.append
    while stack:
        v = pop()
        if v is None:
            place(pop())  # the marker below a node: every parent pushed above it has been placed
            continue
        if v in seen:
            continue
        see(v)
        push(v)
        push(None)
        # parents read from their slots (Value.__slots__), in argument order: left, right, or the tuple in right
        x = v.left
        if x is None:
            ps = v.right
            if ps is None:
                continue
            for p in ps:
                if p not in seen:
                    if p.op_entry is not None:
                        push(p)
                    else:
                        see(p)
                        place(p)
            continue
        if x not in seen:
            if x.op_entry is not None:
                push(x)
            else:
                see(x)
                place(x)
        y = v.right
        if y is not None and y not in seen:
            if y.op_entry is not None:
                push(y)
            else:
                see(y)
                place(y)
    return order


def walk(order: list, seed, acc: dict, *, create_graph: bool = False, check: bool = False) -> Iterator[tuple]:
    """THE backward walk over ``order`` (a :func:`topological_order`), accumulating gradients in ``acc``.

    ``acc`` maps nodes to their gradient so far and may be pre-filled (backward passes the leaves' current grads,
    since leaves accumulate). The root gets ``seed`` (added to its entry if it has one, as a leaf root does); then
    for each interior node v, in reverse topological order, with upstream ``g = acc[v]`` (complete by then) and
    every input p at position i: ``acc[p] = acc[p] + g * d v / d p`` (``g`` itself for a derivative of exactly 1).
    Yields ``(v, g, updates)`` after each node, ``updates`` holding ``(i, p, local, contribution, before, after)``
    per input; a consumer that stops early has the gradients so far in ``acc``.

    ``create_graph=True`` evaluates the local derivatives on Values (:meth:`Op.derivatives_on_values`), so the
    gradients are differentiable Values. ``check=True`` (anomaly mode) raises :class:`AnomalyError` at the first
    non-finite local derivative or gradient. ``acc`` is only written, never ``.grad``: callers commit.
    """
    root = order[-1]
    acc[root] = seed if root not in acc else acc[root] + seed
    zero = None if create_graph else 0.0
    isfinite = math.isfinite
    for v in reversed(order):
        op = v.op_entry
        if op is None:
            continue
        g = acc[v]
        ps = v.parents
        if create_graph:
            try:
                locals_ = op.derivatives_on_values(ps, v, v.arg)
            except (*_MATH_ERRORS, FloatingPointError) as e:
                raise _infinite_derivative(v, e, check, g) from e
        else:
            locals_ = op.local_derivatives(tuple([p.data for p in ps]), v.data, v.arg)
        updates = []
        for i, p in enumerate(ps):
            d = locals_[i]
            before = acc.get(p, zero)
            try:
                contribution = g if (type(d) is float and d == 1.0 and create_graph) else g * d
                after = contribution if before is None else before + contribution
            except FloatingPointError:
                # anomaly mode with create_graph=True: the product or sum node overflowed as it was recorded
                raise backward_anomaly(v, i, g, d, before) from None
            if check and not (isfinite(float(d)) and isfinite(float(after))):
                raise backward_anomaly(v, i, g, d, before)
            acc[p] = after
            updates.append((i, p, d, contribution, before, after))
        yield v, g, updates


def _infinite_derivative(node, exc: Exception, check: bool, upstream) -> Exception:
    """Why a local derivative could not be built on Values. When it is infinite here (sqrt' at 0, where plain mode
    gives inf): in anomaly mode the same AnomalyError as plain backward, otherwise the error's type with a message
    that says so. Any other failure is returned unchanged (``exc`` itself)."""
    op = node.op_entry
    try:
        on_floats = op.local_derivatives(tuple(p.data for p in node.parents), node.data, node.arg)
    except _MATH_ERRORS:
        return exc  # the derivative fails on floats too: the original error says why
    infinite = [i for i, d in enumerate(on_floats) if not math.isfinite(d)]
    if not infinite:
        return exc
    if check:
        return backward_anomaly(node, infinite[0], upstream, on_floats[infinite[0]], 0.0)
    kind = next((k for k in (ZeroDivisionError, OverflowError, ValueError) if isinstance(exc, k)), ValueError)
    operands = ", ".join(repr(p.data) for p in node.parents)
    shown = ", ".join(repr(d) for d in on_floats)
    return kind(f"gradients(create_graph=True): the local derivative of {op.name} at {describe_node(node)} "
                f"(operands {operands}) cannot be built as a differentiable Value ({exc}); on floats it is {shown}: "
                "the derivative is not finite here, so it has no derivative to take")


def backward(root: Value, grad: float = 1.0) -> list:
    """Backward pass from ``root`` into ``.grad`` (what ``Value.backward`` runs); returns the topological order.

    Interior grads are reset first; leaves accumulate. In anomaly mode the checked :func:`walk` runs and its
    result is committed only when it completes; otherwise the fast loop below, whose changes are undone if a
    local derivative raises. Either way a failed backward leaves every ``.grad`` as it was.
    """
    order = topological_order(root)
    if _sw.anomaly_enabled():
        acc = leaf_grads(order)
        for _ in walk(order, grad, acc, check=True):
            pass
        for v in order:
            v.grad = acc[v]
        return order
    saved = list(map(_grad_of, order))
    for v in order:
        if v.op_entry is not None:
            v.grad = 0.0
        elif v.grad is None:
            v.grad = 0.0  # a leaf cleared PyTorch's way (w.grad = None) accumulates from zero
    if root.op_entry is None:
        root.grad += grad
        return order
    root.grad = grad
    try:
        _float_loop(order)
    except BaseException:
        for v, old in zip(order, saved):
            v.grad = old
        raise
    return order


def _float_loop_source(ops: Iterable) -> str:
    """Source of backward's float loop: THE walk's one specialised copy, generated from the op table.

    Each table op with code templates (``Op.py``) gets a branch that computes its local derivatives inline
    (``x.grad += g * (<template>)``: the same float operations as its ``derivs``, without a call per input); any
    other op (``define_op`` ones, variadic ops) calls its ``derivs``. Branches test the table entry's identity,
    never its name.
    """
    unary, binary = [], []
    names: dict = {}
    for op in ops:
        if op.py is None or op.arity not in (1, 2):
            continue
        name = names[op] = f"OP{len(names)}"
        if op.arity == 1:
            (d,) = op.py[1](["x.data"], "v.data", "v.arg")
            unary += [f"{'elif' if unary else 'if'} op is {name}:",
                      f"    x.grad += {'g' if d is None else f'g * ({d})'}"]
        else:
            dx, dy = op.py[1](["x.data", "y.data"], "v.data", "v.arg")
            binary += [f"{'elif' if binary else 'if'} op is {name}:",
                       f"    x.grad += {'g' if dx is None else f'g * ({dx})'}",
                       f"    y.grad += {'g' if dy is None else f'g * ({dy})'}"]
    unary += ["else:" if unary else "if True:", "    x.grad += g * op.derivs[0](x.data, v.data, v.arg)"]
    binary += ["else:" if binary else "if True:",
               "    dx, dy = op.derivs",
               "    x.grad += g if dx is None else g * dx(x.data, y.data, v.data, v.arg)",
               "    y.grad += g if dy is None else g * dy(x.data, y.data, v.data, v.arg)"]
    lines = [
        "def loop(order):",
        "    for v in reversed(order):",
        "        op = v.op_entry",
        "        if op is None:",
        "            continue",
        "        g = v.grad",
        "        x = v.left",
        "        if x is None:  # a variadic node: its parents are the tuple in right",
        "            ps = v.right",
        "            d = op.derivs[0]",
        "            if d is None:",
        "                for p in ps:",
        "                    p.grad += g",
        "            else:  # one call gives every local derivative (affine: x's and w's)",
        "                for p, dl in zip(ps, d(tuple([p.data for p in ps]), v.data, v.arg)):",
        "                    p.grad += g * dl",
        "            continue",
        "        y = v.right",
        "        if y is None:",
        *["            " + line for line in unary],
        "            continue",
        *["        " + line for line in binary],
    ]
    return "\n".join(lines) + "\n", names


def _build_float_loop() -> Callable:
    source, names = _float_loop_source(OPS.values())
    env = dict(PY_ENV)
    env.update({name: op for op, name in names.items()})
    return exec_generated(source, "backward's float loop", env)["loop"]


_float_loop = _build_float_loop()
HOOKS["backward"] = backward
HOOKS["topological_order"] = topological_order  # pickle and deepcopy walk a graph without recursion


def leaf_grads(order: list) -> dict:
    """``{leaf: grad}`` for the leaves of ``order``, what backward accumulates onto; a ``None`` grad (cleared
    PyTorch's way, ``w.grad = None``) counts as 0.0."""
    return {v: (0.0 if v.grad is None else v.grad) for v in order if v.op_entry is None}


def gradients(output, inputs, grad_output=1.0, create_graph: bool = False):
    """d output / d input for each input, without touching any ``.grad``.

    Args:
        output: the Value to differentiate.
        inputs: a Value (the result is then a single gradient) or a sequence of Values (a list of gradients).
        grad_output: the seed d L / d output (default 1.0): a real number, or a Value when ``create_graph=True``.
        create_graph: if True, the gradients are Values whose own graphs are differentiable (every local
            derivative is evaluated on Values), so ``gradients`` can be applied to them again for second and
            higher derivatives. If False, they are floats.

    An input that ``output`` does not depend on gets 0.0 (``Value(0.0)`` with ``create_graph=True``).
    """
    if not isinstance(output, Value):
        raise TypeError(f"gradients: output must be a Value, got {type(output).__name__}; "
                        "use autograd_core.jacobian for a list of outputs")
    single = isinstance(inputs, Value)
    if not single and (isinstance(inputs, (str, bytes)) or not isinstance(inputs, Iterable)):
        raise TypeError(f"gradients: inputs must be a Value or a list of Values, got {type(inputs).__name__} "
                        f"{inputs!r:.60}")
    targets = [inputs] if single else list(inputs)
    for i, t in enumerate(targets):
        if not isinstance(t, Value):
            raise TypeError(f"gradients: inputs[{i}] must be a Value, got {type(t).__name__}")
    if isinstance(grad_output, Value):
        if not create_graph:
            grad_output = grad_output.data
    else:
        grad_output = to_float(grad_output, "gradients(grad_output=...)")
    acc: dict = {}
    for _ in walk(topological_order(output), grad_output, acc, create_graph=create_graph,
                  check=_sw.anomaly_enabled()):
        pass
    results = []
    for t in targets:
        r = acc.get(t, 0.0)
        if create_graph and not isinstance(r, Value):
            r = Value(r)
        elif not create_graph and isinstance(r, Value):
            r = r.data
        results.append(r)
    return results[0] if single else results


def zero_grad(values: Iterable) -> None:
    """Set ``.grad`` of each Value in ``values`` (a Value or an iterable of Values) to 0.0."""
    if isinstance(values, Value):
        values.grad = 0.0
        return
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"zero_grad: item {i} is a {type(v).__name__}, not a Value")
        v.grad = 0.0
