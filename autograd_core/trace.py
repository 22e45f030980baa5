"""Watch backward work: a stepper that runs the real backward pass one node at a time, and text explanations.

* :func:`backward_steps` yields one :class:`Step` per interior node, in the order backward visits them
  (``reversed(topological_order(root))``), while it does the work: consuming every step leaves exactly (bit for
  bit) the gradients ``root.backward()`` leaves.
* :func:`explain` turns a whole backward pass into a text table, or, with ``wrt=``, writes one derivative as the
  sum over all paths of the products of local derivatives (the multivariate chain rule, path by path).
* :func:`node_names` gives every node of a graph a readable, deterministic name; the renderer uses the same names.

Leaves get no step of their own: backward does no work at a leaf (it has no parents to pass a gradient to); a
leaf's gradient is complete once every step that updates it has run, and :func:`explain` lists it at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

from .graph import gradients, leaf_grads, topological_order, walk
from .ops import ATOM, to_float
from .switches import anomaly_enabled
from .value import Value

__all__ = ["Step", "ParentUpdate", "Path", "backward_steps", "explain", "gradient_paths", "node_names", "numbering",
           "expression"]

Number = Union[int, float]

# how many parent names an expression like sum(a, b, c, ...) lists before abbreviating
_SHOWN_INPUTS = 6


def numbering(order: list) -> tuple[dict, dict]:
    """Numbers and names for the nodes of one graph (``order`` = its topological order); THE naming helper.

    Interior nodes are numbered 0, 1, 2, ... in the order backward visits them, so an interior node's number is
    its step index; leaves follow, also in backward order. A node's name is its label; an unlabelled node is named
    by op and number (``mul#4``, ``leaf#9``); a label used by several nodes gets its number too (``w#3``).
    """
    backward = order[::-1]
    numbered = [v for v in backward if v.op_entry is not None]
    numbered += [v for v in backward if v.op_entry is None]
    counts = Counter(v.label for v in order if v.label)
    numbers: dict = {}
    names: dict = {}
    for k, v in enumerate(numbered):
        numbers[v] = k
        if v.label:
            names[v] = v.label if counts[v.label] == 1 else f"{v.label}#{k}"
        else:
            names[v] = f"{v.op}#{k}" if v.op_entry is not None else f"leaf#{k}"
    return numbers, names


def node_names(root: Value) -> dict:
    """A readable name for every node ``root`` depends on: ``{Value: str}``.

    The label if it is unique in the graph; otherwise op (or ``leaf``) and number, e.g. ``mul#4``, where an
    interior node's number is the index of its backward step. Deterministic: the same graph always gets the same
    names, and :func:`explain`, :func:`backward_steps`, ``draw`` and ``text_tree`` all use them.
    """
    if not isinstance(root, Value):
        raise TypeError(f"node_names: root must be a Value, got {type(root).__name__}")
    return numbering(topological_order(root))[1]


def _num(x: float, precision: int = 4) -> str:
    return f"{x:.{precision}g}"


def expression(v: Value, names: dict) -> str:
    """The op and inputs of an interior node as short source-like text: ``a * b``, ``tanh(z)``, ``x ** 2``.

    Written by the op table's printer (:meth:`autograd_core.Op.write`) with the inputs' names as operands.
    """
    operands = [(names.get(p, "?"), ATOM) for p in v.parents]
    return v.op_entry.write(operands, v.arg, max_inputs=_SHOWN_INPUTS)[0]


@dataclass(frozen=True, eq=False)
class ParentUpdate:
    """What one step does to one parent: ``parent.grad += upstream * local``.

    Attributes:
        parent: the parent Value.
        name: its display name (see :func:`node_names`).
        position: which input of the node it is (0 = first); ``x * x`` has two updates of the same parent.
        local: the local derivative d node / d parent (from the op table: ``Op.local_derivatives``).
        contribution: ``upstream * local``, the gradient this path adds to the parent.
        grad_before: the parent's grad before the addition.
        grad_after: the parent's grad after it (``grad_before + contribution``).
    """

    parent: Value
    name: str
    position: int
    local: float
    contribution: float
    grad_before: float
    grad_after: float


class _Trace:
    # one backward pass, shared by its steps: plain records, never the Step objects, so no reference cycle forms
    __slots__ = ("root", "start", "total", "records")

    def __init__(self, root: Value, start: dict, total: int) -> None:
        self.root, self.start, self.total, self.records = root, start, total, []


class Step:
    """One node visited by backward: its complete upstream gradient and what it passes on to each parent.

    Attributes:
        index: 0-based position among the steps (``list(backward_steps(L))[i].index == i``); step 0 is the root.
        total: the number of steps in this backward pass.
        node: the Value being visited.
        name: its display name (see :func:`node_names`).
        expression: how it was computed, e.g. ``tanh(z)`` or ``w * x``.
        upstream: d root / d node, complete at this moment (every node that uses this one has been visited).
        updates: one :class:`ParentUpdate` per input, in argument order.

    ``str(step)`` reads ``[3] h = tanh(z)   upstream 0.5   -> z: local 0.42 x 0.5 = +0.21 (z.grad now 0.21)``.
    A Step is a view of one record of its pass; steps and their pass hold no reference cycle, so a dropped graph
    is freed by reference counting alone.
    """

    __slots__ = ("index", "_trace")

    def __init__(self, index: int, trace: _Trace) -> None:
        self.index, self._trace = index, trace

    node = property(lambda self: self._trace.records[self.index][0], doc="The Value being visited.")
    name = property(lambda self: self._trace.records[self.index][1], doc="Its display name.")
    expression = property(lambda self: self._trace.records[self.index][2], doc="How it was computed.")
    upstream = property(lambda self: self._trace.records[self.index][3], doc="d root / d node.")
    updates = property(lambda self: self._trace.records[self.index][4], doc="One ParentUpdate per input.")
    total = property(lambda self: self._trace.total, doc="The number of steps in this backward pass.")
    root = property(lambda self: self._trace.root, doc="The Value whose backward pass this step belongs to.")

    def format(self, precision: int = 4) -> str:
        """The step as text, numbers with ``precision`` significant digits; one line per parent after the first."""
        head = f"[{self.index}] {self.name} = {self.expression}   upstream {_num(self.upstream, precision)}   "
        lines = []
        for u in self.updates:
            lines.append(f"-> {u.name}: local {_num(u.local, precision)} x {_num(self.upstream, precision)} = "
                         f"{u.contribution:+.{precision}g} ({u.name}.grad now {_num(u.grad_after, precision)})")
        if not lines:
            return head.rstrip()
        pad = "\n" + " " * len(head)
        return head + pad.join(lines)

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"Step(index={self.index}, total={self.total}, name={self.name!r}, upstream={self.upstream!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Step) and other._trace is self._trace and other.index == self.index

    def __hash__(self) -> int:
        return hash((id(self._trace), self.index))

    def history(self) -> tuple:
        """The steps of this backward pass up to and including this one."""
        return tuple(Step(k, self._trace) for k in range(self.index + 1))

    def grads_so_far(self) -> dict:
        """``{Value: grad}`` for every node of the graph as it stood right after this step.

        Rebuilt from the recorded updates, so it stays right after the pass has moved on (the renderer shows it
        for ``draw(root, highlight=step)``). Nodes no step has reached yet show 0.0 (a leaf: its grad from before
        the pass, since leaves accumulate); the root shows the seed.
        """
        grads = dict(self._trace.start)
        for record in self._trace.records[: self.index + 1]:
            for u in record[4]:
                grads[u.parent] = u.grad_after
        return grads


def backward_steps(root: Value, grad: Number = 1.0) -> Iterator[Step]:
    """Run ``root``'s backward pass one node at a time, yielding a :class:`Step` after each node.

    The same pass as ``root.backward(grad)``, on the same walk (:func:`autograd_core.graph.walk`): interior grads
    are reset to 0 when the first step is requested, leaves accumulate, nodes are visited in
    ``reversed(autograd_core.topological_order(root))``, and at each node ``parent.grad += upstream * local`` for
    every input. Consuming every step therefore leaves exactly (bit for bit) the gradients ``root.backward(grad)``
    leaves; stopping early leaves the gradients so far. Leaves get no step (backward does no work there); a leaf
    root gets no step and just accumulates ``grad``, as ``backward`` does. In anomaly mode a non-finite gradient
    raises :class:`autograd_core.AnomalyError` at the step that produces it, as ``backward`` would; a step that
    raises restores every ``.grad`` the pass had changed.

    Example::

        for step in backward_steps(L):
            print(step)          # [0] L = tanh(z)   upstream 1   -> z: local 0.42 x 1 = +0.42 (z.grad now 0.42)
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps: root must be a Value, got {type(root).__name__}")
    seed = grad if type(grad) is float else to_float(grad, "backward_steps(grad=...)")
    return _steps(root, seed, topological_order(root))


def _steps(root: Value, seed: float, order: list) -> Iterator[Step]:
    names = numbering(order)[1]
    saved = {v: v.grad for v in order}
    acc = leaf_grads(order)
    for v in order:
        if v.op_entry is not None:
            v.grad = 0.0
    interior = sum(1 for v in order if v.op_entry is not None)
    trace = _Trace(root, {**{v: 0.0 for v in order}, **acc, root: acc.get(root, 0.0) + seed}, interior)
    steps = walk(order, seed, acc, check=anomaly_enabled())
    root.grad = acc.get(root, 0.0) + seed if root.op_entry is None else seed
    while True:
        try:
            v, g, raw = next(steps)
        except StopIteration:
            return
        except BaseException:
            for node, old in saved.items():
                node.grad = old
            raise
        updates = []
        for i, p, d, contribution, before, after in raw:
            p.grad = after
            updates.append(ParentUpdate(p, names[p], i, float(d), contribution, before, after))
        trace.records.append((v, names[v], expression(v, names), g, tuple(updates)))
        yield Step(len(trace.records) - 1, trace)


@dataclass(frozen=True, eq=False)
class Path:
    """One path from ``wrt`` up to the root, and the product of the local derivatives along it.

    Attributes:
        nodes: the Values on the path, from ``wrt`` to the root.
        positions: for each edge, which input of the upper node the lower node is (``x * x`` has two paths).
        locals: the local derivative of each edge, from ``wrt`` upwards.
        product: ``locals[0] * locals[1] * ... * seed`` (multiplied left to right), this path's share of the
            derivative.
    """

    nodes: tuple
    positions: tuple
    locals: tuple
    product: float


def _path_counts(order: list, wrt: Value) -> tuple[dict, int]:
    """Paths from ``wrt`` to each node (edges counted with multiplicity) as exact ints, and the root's total length.

    Returns ``(counts, hops)``: ``counts[v]`` for every node reachable from ``wrt``, and the number of edges summed
    over all paths to the last node of ``order`` (the root), which bounds the work of listing them.
    """
    counts = {wrt: 1}
    lengths = {wrt: 0}
    for v in order:
        if v is wrt or v.op_entry is None:
            continue
        c = 0
        n = 0
        for p in v.parents:
            cp = counts.get(p)
            if cp:
                c += cp
                n += lengths[p] + cp
        if c:
            counts[v] = c
            lengths[v] = n
    return counts, lengths.get(order[-1], 0) if order else 0


def _too_many(n: int, hops: int, max_paths: int) -> bool:
    # listing costs one multiplication per edge of every path: bound both the paths and their total length
    return n > max_paths or hops > 100 * max_paths


def gradient_paths(root: Value, wrt: Value, grad: Number = 1.0, max_paths: int = 1000) -> list:
    """Every path from ``wrt`` up to ``root`` as a :class:`Path`; the products sum to d root / d wrt.

    That sum is the multivariate chain rule written out path by path; backward computes the same sum without
    listing paths, by adding up at each node. The number of paths grows exponentially with stacked diamonds
    (``y = x * x; z = y * y; ...``), so more than ``max_paths`` paths (or more than ``100 * max_paths`` edges over
    all paths) raises ValueError; counting them first is cheap and exact. A ``wrt`` that ``root`` does not depend
    on has no paths: ``[]``. Paths come in a deterministic order (depth first from the root, inputs in argument
    order).
    """
    if not isinstance(root, Value):
        raise TypeError(f"gradient_paths: root must be a Value, got {type(root).__name__}")
    if not isinstance(wrt, Value):
        raise TypeError(f"gradient_paths: wrt must be a Value, got {type(wrt).__name__}")
    seed = grad if type(grad) is float else to_float(grad, "gradient_paths(grad=...)")
    order = topological_order(root)
    counts, hops = _path_counts(order, wrt)
    n = counts.get(root, 0)
    if _too_many(n, hops, max_paths):
        raise ValueError(f"gradient_paths: {n} paths with {hops} edges in all lead from the input to the root, more "
                         f"than max_paths={max_paths} allows; raise max_paths, or use autograd_core.gradients for "
                         "the total")
    if n == 0:
        return []
    local_cache: dict = {}

    def locals_of(v: Value) -> tuple:
        got = local_cache.get(v)
        if got is None:
            got = local_cache[v] = v.op_entry.local_derivatives(tuple(p.data for p in v.parents), v.data, v.arg)
        return got

    paths = []
    # iterative depth-first walk from the root down to wrt; a frame is [node, its input position in the frame
    # above, next input to try], and only inputs that lead to wrt (those in counts) are entered
    frames = [[root, -1, 0]]
    while frames:
        top = frames[-1]
        v = top[0]
        if v is wrt:
            nodes = tuple(fr[0] for fr in reversed(frames))
            positions = tuple(fr[1] for fr in reversed(frames[1:]))
            locs = tuple(float(locals_of(upper)[pos]) for upper, pos in zip(nodes[1:], positions))
            product = locs[0] if locs else seed
            for d in locs[1:]:
                product = product * d
            if locs and seed != 1.0:
                product = product * seed
            paths.append(Path(nodes, positions, locs, product))
            frames.pop()
            continue
        ps = v.parents
        j = top[2]
        while j < len(ps) and ps[j] not in counts:
            j += 1
        if j >= len(ps):
            frames.pop()
            continue
        top[2] = j + 1
        frames.append([ps[j], j, 0])
    return paths


def explain(root: Value, wrt: Value | None = None, *, grad: Number = 1.0, precision: int = 4,
            max_steps: int = 500, max_paths: int = 1000) -> str:
    """The backward pass of ``root`` as text.

    Without ``wrt``: a table with one row per (step, parent): the node, what it computes, its upstream gradient,
    the local derivative, the contribution ``upstream x local`` and the parent's grad after adding it; then the
    gradient of every leaf. At most ``max_steps`` steps are listed.

    With ``wrt`` (any Value ``root`` depends on): d root / d wrt as the sum over all paths from ``wrt`` to
    ``root`` of the products of the local derivatives along each path, one path per line, then the total and the
    value backward gives. Over ``max_paths`` paths (they grow exponentially in stacked diamonds), it says how many
    there are and shows the total from backward instead of listing them.

    ``explain`` leaves every ``.grad`` as it found it: it runs the stepper from zero leaf gradients and restores
    the graph's gradients afterwards.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain: root must be a Value, got {type(root).__name__}")
    seed = grad if type(grad) is float else to_float(grad, "explain(grad=...)")
    for name, limit in (("precision", precision), ("max_steps", max_steps), ("max_paths", max_paths)):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"explain: {name} must be a positive int, got {limit!r}")
    if wrt is not None:
        if not isinstance(wrt, Value):
            raise TypeError(f"explain: wrt must be a Value, got {type(wrt).__name__}")
        return _explain_wrt(root, wrt, seed, precision, max_paths)
    return _explain_pass(root, seed, precision, max_steps)


def _table(rows: list, header: tuple) -> list:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return out


def _explain_pass(root: Value, seed: float, precision: int, max_steps: int) -> str:
    order = topological_order(root)
    saved = {v: v.grad for v in order}
    names = numbering(order)[1]
    rname = names[root]
    f = lambda x: _num(x, precision)
    try:
        for v in order:
            if v.op_entry is None:
                v.grad = 0.0
        rows = []
        shown = 0
        total = 0
        for step in _steps(root, seed, order):
            total = step.total
            if shown >= max_steps:
                break
            shown += 1
            first = True
            for u in step.updates:
                lead = (f"[{step.index}]", step.name, step.expression, f(step.upstream)) if first else ("",) * 4
                rows.append((*lead, u.name, f(u.local), f"{u.contribution:+.{precision}g}", f(u.grad_after)))
                first = False
            if first:
                rows.append((f"[{step.index}]", step.name, step.expression, f(step.upstream), "", "", "", ""))
        leaves = [v for v in order if v.op_entry is None]
        leaf_rows = [(names[v], v.grad) for v in leaves]
    finally:
        for v, g in saved.items():
            v.grad = g
    if root.op_entry is None:
        return f"{rname} is a leaf: backward does no steps; d {rname} / d {rname} = {f(seed)}"
    steps = f"{total} step{'s' if total != 1 else ''}"
    lines = [f"backward pass of {rname} = {expression(root, names)}: {steps}, seed d {rname} / d {rname} = "
             f"{f(seed)}; each row adds upstream x local to a parent's grad"]
    lines += _table(rows, ("step", "node", "computes", "upstream", "parent", "local", "contribution",
                           "parent grad now"))
    if total > shown:
        lines.append(f"... {total - shown} more steps not shown (raise max_steps={max_steps} to see them)")
    lines.append("")
    lines.append(f"gradients of the leaves (d {rname} / d leaf, this pass alone):")
    for name, g in leaf_rows[:max_steps]:
        lines.append(f"  {name}: {f(g)}")
    if len(leaf_rows) > max_steps:
        lines.append(f"  ... {len(leaf_rows) - max_steps} more leaves not shown")
    return "\n".join(lines)


def _explain_wrt(root: Value, wrt: Value, seed: float, precision: int, max_paths: int) -> str:
    order = topological_order(root)
    names = numbering(order)[1]
    f = lambda x: _num(x, precision)
    rname = names[root]
    wname = names.get(wrt) or wrt.label or "wrt"
    head = f"d {rname} / d {wname}"
    counts, hops = _path_counts(order, wrt)
    n = counts.get(root, 0)
    if n == 0:
        return f"{head} = 0: {rname} does not depend on {wname} (no path leads from it to {rname})"
    if _too_many(n, hops, max_paths):
        total = gradients(root, wrt, grad_output=seed)
        return (f"{head}: {n} paths ({hops} edges in all) lead from {wname} to {rname}, more than max_paths="
                f"{max_paths} allows,\ntoo many to list one per line: reused subexpressions multiply the paths.\n"
                "Backward never lists them: it adds the incoming gradients up at each node instead.\n"
                f"total {head} = {f(total)} (by backward)")
    paths = gradient_paths(root, wrt, seed, max_paths)
    lines = [f"{head} = sum over the {n} path{'s' if n != 1 else ''} from {wname} to {rname} of the product of "
             f"the local derivatives along the path:"]
    for path in paths:
        hops = [names[path.nodes[0]]]
        for upper, pos in zip(path.nodes[1:], path.positions):
            repeated = sum(1 for p in upper.parents if p is upper.parents[pos]) > 1
            hops.append(f"{names[upper]}[input {pos}]" if repeated else names[upper])
        factors = [f(d) for d in path.locals] + ([f"seed {f(seed)}"] if seed != 1.0 else [])
        if not factors:
            factors = [f(seed)]
        lines.append(f"path {' -> '.join(hops)}: {' x '.join(factors)} = {f(path.product)}")
    total = 0.0
    for path in paths:
        total += path.product
    by_backward = gradients(root, wrt, grad_output=seed)
    lines.append(f"total {head} = {f(total)} (sum of {n} path{'s' if n != 1 else ''}; backward gives "
                 f"{f(by_backward)})")
    return "\n".join(lines)
