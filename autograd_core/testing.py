"""Hypothesis strategies for property-testing gradients: :func:`values`, :func:`op_arguments` and :func:`expressions`.

``expressions()`` draws random expression graphs (DAGs, with shared subexpressions) from the op table, custom ops
included, over variables ``x0 .. x{n-1}``. A drawn :class:`Expression` builds on given inputs (``expr.build(xs)``),
evaluates on floats (``expr.evaluate(xs)``, for central differences), converts to sympy (``expr.to_sympy()``) and
prints as Python source text such as ``tanh(x0 * x1) + log(softplus(x1) + 0.25)``; the text evaluates with
``autograd_core``'s functions in scope. Every choice is made with hypothesis primitives, so a failing case shrinks
to a small expression (a lone op on ``x0`` when that suffices).

How graphs stay inside every op's domain (the approach, so a test built on them never hits a domain error):

* Variables are drawn from ``[-input_bound, input_bound]`` (:meth:`Expression.inputs`).
* While an expression is drawn, every node carries a guaranteed interval of its value over that input box
  (interval arithmetic over the built-in ops; they are all monotone in each argument except ``abs``, ``sin`` and
  ``cos``, which are handled exactly). A custom op's output interval is unknown.
* Each input of an op must lie in a *safe piece*: the op's :attr:`~autograd_core.Op.domains` entry shrunk by
  ``margin`` at finite ends, clipped to ``[-1000, 1000]``, with ``(k - margin, k + margin)`` cut out around every kink
  ``k`` of a non-smooth op (``relu``, ``abs``, ``step``, ... from :attr:`~autograd_core.Op.kinks`), so central
  differences never straddle a kink. When a child's interval does not fit a piece, the child is wrapped by a smooth
  map into it: ``softplus(c) + L`` (a piece ``[L, ...)``), ``H - softplus(c)`` (a piece ``(..., H]``) or
  ``mid + half * tanh(c)`` (a bounded window of the piece, at most 4 wide, as near 0 as the piece allows). For a
  non-smooth op whose input could be on either side of a kink, which side is drawn.
* If the op's output interval could still exceed ``[-1000, 1000]`` (``exp(exp(exp(x)))``, products of products),
  its inputs are squeezed into the bounded windows instead, so values (and the floating-point error of central
  differences) stay moderate. Outputs of custom ops, whose intervals are unknown, are always squeezed with ``tanh``
  before another op uses them.
* Parameters (``pow``'s exponent, ``leaky_relu``'s slope, ...) are drawn from the op's
  :attr:`~autograd_core.Op.param_domain`, shrunk by the same margin.

Ops that cannot be guarded are left out of the default op set: ops with an integer input domain, and non-smooth
custom ops that declare no kinks (pass them in ``ops=`` explicitly to include them anyway).

hypothesis is needed only here: install it with ``pip install 'autograd-core[test]'``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Union

try:
    from hypothesis import strategies as st
except ImportError as _missing:  # this module only exists for property tests
    raise ImportError(
        "autograd_core.testing needs hypothesis; install the test extra: pip install 'autograd-core[test]'"
    ) from _missing

from . import ops as _ops
from .ops import Domain, Op
from .value import Value, apply

__all__ = ["Expression", "values", "op_arguments", "expressions", "expressions_and_inputs", "BOUND"]

BOUND = 1000.0
"""Every node of a drawn expression stays within ``[-BOUND, BOUND]`` on its input box."""

_WINDOW = 2.0  # half-width of the bounded windows that inputs get squeezed into
_Interval = tuple | None  # (lo, hi), or None when unknown (custom ops)


# --------------------------------------------------------------------------------------------------- values
def _pieces(domain: Domain, margin: float, avoid: Iterable[float], avoid_margin: float, bound: float) -> list:
    """Closed intervals [lo, hi] inside ``domain`` shrunk by ``margin`` and clipped to ``[-bound, bound]`` (for a
    domain outside it: a stretch ``bound`` long at its near end), minus the neighbourhoods of ``avoid``."""
    lo, hi = domain.lo, domain.hi
    if math.isfinite(lo) and math.isfinite(hi):
        margin = min(margin, (hi - lo) / 8.0)  # a narrow domain such as leaky_relu's slope in (0, 1)
    lo = lo + margin if math.isfinite(lo) else None
    hi = hi - margin if math.isfinite(hi) else None
    if lo is None:
        lo = -bound if hi is None or hi > -bound else hi - bound
    if hi is None:
        hi = bound if lo < bound else lo + bound
    if lo <= bound and hi >= -bound:
        lo, hi = max(lo, -bound), min(hi, bound)
    if not lo <= hi:
        return []
    pieces = [(lo, hi)]
    for k in sorted(avoid):
        cut = []
        for a, b in pieces:
            if k + avoid_margin <= a or k - avoid_margin >= b:
                cut.append((a, b))
                continue
            if k - avoid_margin > a:
                cut.append((a, k - avoid_margin))
            if k + avoid_margin < b:
                cut.append((k + avoid_margin, b))
        pieces = cut
    return pieces


def values(
    domain: Domain | None = None,
    *,
    bound: float = 10.0,
    margin: float = 0.0,
    avoid: Iterable[float] = (),
    avoid_margin: float = 0.0,
) -> st.SearchStrategy:
    """Finite floats inside ``domain`` (default: all reals), clipped to ``[-bound, bound]``.

    Args:
        domain: an :class:`~autograd_core.Domain` such as ``autograd_core.OPS["log"].domains[0]``. Open ends are
            excluded; an integer domain draws integers (as floats).
        bound: values stay in ``[-bound, bound]`` (infinite ends become ``-bound``/``bound``); a domain entirely
            outside it gives values within ``bound`` of its nearest end.
        margin: keep this far inside the domain's finite ends (at most 1/8 of a bounded domain's width).
        avoid: points to stay away from, e.g. an op's kinks (``OPS["relu"].kinks``).
        avoid_margin: how far to stay away from them.

    Raises ValueError when nothing is left to draw from.
    """
    domain = _ops.REALS if domain is None else domain
    if not isinstance(domain, Domain):
        raise TypeError(f"values: domain must be an autograd_core.Domain, got {type(domain).__name__}")
    for name, x in (("bound", bound), ("margin", margin), ("avoid_margin", avoid_margin)):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not x >= 0 or not math.isfinite(x):
            raise ValueError(f"values: {name} must be a finite number >= 0, got {x!r}")
    avoid = tuple(avoid)
    pieces = _pieces(domain, margin, avoid, avoid_margin, bound)
    if domain.integer:
        ints = [st.integers(math.ceil(a), math.floor(b)) for a, b in pieces if math.ceil(a) <= math.floor(b)]
        ints = [s.filter(lambda n, d=domain: float(n) in d) for s in ints]
        if not ints:
            raise ValueError(f"values: no integer left in the domain {domain.describe()} (bound={bound}, "
                             f"margin={margin}, avoiding {avoid})")
        return st.one_of(ints).map(float)
    parts = []
    for a, b in pieces:
        # with margin 0 an open domain end is one of the piece's ends: exclude it
        exclude_lo = margin == 0 and domain.lo_open and a == domain.lo
        exclude_hi = margin == 0 and domain.hi_open and b == domain.hi
        if a == b and (exclude_lo or exclude_hi):
            continue
        parts.append(st.floats(a, b, exclude_min=exclude_lo, exclude_max=exclude_hi, allow_nan=False,
                               allow_infinity=False))
    if not parts:
        raise ValueError(f"values: nothing left in the domain {domain.describe()} (bound={bound}, margin={margin}, "
                         f"avoiding {avoid})")
    return st.one_of(parts)


def _resolve(op: Union[Op, str], where: str) -> Op:
    if isinstance(op, Op):
        return op
    if isinstance(op, str):
        try:
            return _ops.get_op(op)
        except KeyError as e:
            raise ValueError(f"{where}: {e.args[0]}") from None
    raise TypeError(f"{where}: expected an Op or an op name, got {type(op).__name__}")


def op_arguments(
    op: Union[Op, str],
    *,
    bound: float = 10.0,
    margin: float = 0.05,
    n_inputs: int | None = None,
) -> st.SearchStrategy:
    """``(inputs, arg)`` pairs for ``op``: each input inside its domain and away from the op's kinks, ``arg`` from
    its parameter domain (None for an op without parameter).

    Meant for checking one op's forward and local derivatives, e.g. ``op.local_derivatives(inputs, out, arg)``
    against central differences. A variadic op gets 1 to 4 of its input counts (``sum``: 1 to 4 inputs,
    ``affine``: 1, 3, 5 or 7) unless ``n_inputs`` is given.
    """
    op = _resolve(op, "op_arguments")
    if op.arity == -1:
        first, step = op.counts
        counts = st.integers(0, 3).map(lambda k: first + step * k) if n_inputs is None else st.just(n_inputs)
        one = values(op.domains[0], bound=bound, margin=margin, avoid=op.kinks, avoid_margin=margin)
        inputs = counts.flatmap(lambda n: st.tuples(*([one] * n)))
    else:
        inputs = st.tuples(*(values(d, bound=bound, margin=margin, avoid=op.kinks, avoid_margin=margin)
                             for d in op.domains))
    arg = st.just(None) if op.param is None else values(op.param_domain, bound=bound, margin=margin)
    return st.tuples(inputs, arg)


# --------------------------------------------------------------------------------------------------- nodes
class _Node:
    """One node of a drawn expression: a variable (``index``), a constant (``const``) or an op over children."""

    __slots__ = ("op", "children", "arg", "index", "const", "interval", "level", "guard")

    def __init__(self, op: Op | None = None, children: tuple = (), arg: float | None = None,
                 index: int | None = None, const: float | None = None, interval: _Interval = None,
                 level: int = 0, guard: bool = False) -> None:
        self.op = op
        self.children = children
        self.arg = arg
        self.index = index
        self.const = const
        self.interval = interval
        self.level = level  # nesting of drawn ops (domain guards not counted)
        self.guard = guard  # part of a domain guard rather than drawn


def _postorder(root: _Node) -> list:
    # Iterative, children before parents, each node once: no recursion limit on deep expressions.
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for c in reversed(node.children):
            if id(c) not in seen:
                stack.append((c, False))
    return order


def _node_text(node: _Node, texts: dict) -> tuple:
    # the op table's printer, with exact constants so that parse_expression rebuilds the very same graph
    if node.index is not None:
        return f"x{node.index}", _ops.ATOM
    if node.op is None:
        text = repr(float(node.const))
        return text, (_ops.UNARY if text.startswith("-") else _ops.ATOM)
    return node.op.write([texts[id(c)] for c in node.children], node.arg, exact=True)


def _interval(op: Op, ivs: list, arg) -> _Interval:
    """A guaranteed interval of ``op``'s output given its inputs' intervals (the op's own rule); None when unknown."""
    if op.interval is None or any(iv is None for iv in ivs):
        return None
    return op.interval(op, ivs, arg)


def _inside(iv: _Interval, piece: tuple) -> bool:
    return iv is not None and piece[0] <= iv[0] and iv[1] <= piece[1]


def _softplus(x: float) -> float:
    return _ops.SOFTPLUS.forward(x, None)


class _Guards:
    """Builds the smooth maps that put a child into a safe piece of an op's input domain."""

    def __init__(self) -> None:
        self.plus, self.minus, self.times = _ops.ADD, _ops.SUB, _ops.MUL
        self.softplus, self.tanh = _ops.SOFTPLUS, _ops.TANH

    def const(self, c: float) -> _Node:
        return _Node(const=c, interval=(c, c), guard=True)

    def window(self, piece: tuple) -> tuple:
        """A bounded sub-interval of ``piece``, at most 2 * _WINDOW wide and as near 0 as the piece allows."""
        lo, hi = piece
        width = min(2 * _WINDOW, hi - lo)
        a = min(max(-_WINDOW, lo), hi - width)
        return a, a + width

    def squash(self, child: _Node, target: tuple) -> _Node:
        """``mid + half * tanh(child)``: any finite value into ``target`` (tanh(c) in [-1, 1] even for |c| > 19)."""
        lo, hi = target
        half, mid = (hi - lo) / 2, (hi + lo) / 2
        civ = child.interval
        t = _Node(self.tanh, (child,), interval=(-1.0, 1.0) if civ is None else
                  (math.tanh(civ[0]), math.tanh(civ[1])), level=child.level, guard=True)
        node = t
        if half != 1.0:
            node = _Node(self.times, (self.const(half), t), interval=(half * t.interval[0], half * t.interval[1]),
                         level=child.level, guard=True)
        if mid != 0.0:
            node = _Node(self.plus, (self.const(mid), node), interval=(mid + node.interval[0], mid + node.interval[1]),
                         level=child.level, guard=True)
        return node

    def into(self, child: _Node, piece: tuple, bounded: bool) -> _Node:
        """``child`` itself when it already fits (a bounded window of) ``piece``, else a smooth map into it."""
        target = self.window(piece) if bounded else piece
        if _inside(child.interval, target):
            return child
        lo, hi = target
        civ = child.interval
        if not bounded and civ is not None:
            # one-sided pieces: a softplus keeps the child's variation without squeezing it
            if hi >= BOUND > lo > -BOUND and _softplus(civ[1]) + lo <= hi:
                sp = _Node(self.softplus, (child,), interval=(_softplus(civ[0]), _softplus(civ[1])),
                           level=child.level, guard=True)
                if lo == 0.0:
                    return sp
                return _Node(self.plus, (sp, self.const(lo)), interval=(sp.interval[0] + lo, sp.interval[1] + lo),
                             level=child.level, guard=True)
            if lo <= -BOUND < hi < BOUND and hi - _softplus(civ[1]) >= lo:
                sp = _Node(self.softplus, (child,), interval=(_softplus(civ[0]), _softplus(civ[1])),
                           level=child.level, guard=True)
                return _Node(self.minus, (self.const(hi), sp), interval=(hi - sp.interval[1], hi - sp.interval[0]),
                             level=child.level, guard=True)
        return self.squash(child, self.window(piece))


# --------------------------------------------------------------------------------------------------- Expression
class Expression:
    """A drawn expression graph over variables ``x0 .. x{n_vars-1}``; ``str(expr)`` is its source text.

    Build it on Values with :meth:`build` (shared subexpressions stay shared), evaluate it on floats with
    :meth:`evaluate`, draw matching inputs with :meth:`inputs`, and get it as sympy with :meth:`to_sympy`.
    """

    __slots__ = ("_root", "_n_vars", "_input_bound", "_text")

    def __init__(self, root: _Node, n_vars: int, input_bound: float) -> None:
        self._root = root
        self._n_vars = n_vars
        self._input_bound = input_bound
        self._text: str | None = None

    @property
    def n_vars(self) -> int:
        """Number of variables; :meth:`build` and :meth:`evaluate` take this many inputs."""
        return self._n_vars

    @property
    def variables(self) -> tuple:
        """Variable names ``("x0", "x1", ...)``, in input order (some may not occur in the expression)."""
        return tuple(f"x{i}" for i in range(self._n_vars))

    @property
    def used_variables(self) -> tuple:
        """Indices of the variables the expression actually uses, ascending."""
        return tuple(sorted({n.index for n in _postorder(self._root) if n.index is not None}))

    @property
    def input_bound(self) -> float:
        """Inputs must lie in ``[-input_bound, input_bound]`` for the domain guarantees to hold."""
        return self._input_bound

    @property
    def interval(self) -> _Interval:
        """A guaranteed (lo, hi) of the output over the input box, or None when a custom op makes it unknown."""
        return self._root.interval

    @property
    def op_names(self) -> tuple:
        """Names of the drawn ops, each once, in first-use order (the ops of domain guards are not included)."""
        names = []
        for n in _postorder(self._root):
            if n.op is not None and not n.guard and n.op.name not in names:
                names.append(n.op.name)
        return tuple(names)

    @property
    def size(self) -> int:
        """Number of distinct op nodes, domain guards included: a shared subexpression counts once."""
        return len([n for n in _postorder(self._root) if n.op is not None])

    @property
    def depth(self) -> int:
        """Longest path of op nodes from the output to a variable or constant."""
        height: dict = {}
        for n in _postorder(self._root):
            height[id(n)] = 0 if n.op is None else 1 + max(height[id(c)] for c in n.children)
        return height[id(self._root)]

    def _check_inputs(self, inputs: Sequence, where: str) -> list:
        if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__len__"):
            raise TypeError(f"Expression.{where}: inputs must be a sequence of {self._n_vars} numbers or Values, "
                            f"got {type(inputs).__name__}")
        if len(inputs) != self._n_vars:
            raise ValueError(f"Expression.{where}: expected {self._n_vars} inputs ({', '.join(self.variables)}), "
                             f"got {len(inputs)}")
        return list(inputs)

    def build(self, inputs: Sequence) -> Value:
        """The expression as a recorded :class:`~autograd_core.Value` graph on ``inputs`` (one per variable).

        Numbers become leaf Values labelled ``x0``, ``x1``, ...; pass Values to keep hold of the leaves. A shared
        subexpression is built once and used by every parent, exactly as drawn.
        """
        xs = self._check_inputs(inputs, "build")
        leaves = [x if isinstance(x, Value) else Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        built: dict = {}
        for n in _postorder(self._root):
            if n.index is not None:
                built[id(n)] = leaves[n.index]
            elif n.op is None:
                built[id(n)] = n.const
            else:
                built[id(n)] = apply(n.op, *(built[id(c)] for c in n.children), arg=n.arg)
        out = built[id(self._root)]
        # an expression whose output is a constant would give a float: keep the promised Value
        return out if isinstance(out, Value) else Value(out)

    def evaluate(self, inputs: Sequence[float]) -> float:
        """The expression's value on floats, from the op table's forward functions (no graph is recorded)."""
        xs = [float(x) for x in self._check_inputs(inputs, "evaluate")]
        got: dict = {}
        for n in _postorder(self._root):
            if n.index is not None:
                got[id(n)] = xs[n.index]
            elif n.op is None:
                got[id(n)] = n.const
            else:
                got[id(n)] = n.op.forward(*(got[id(c)] for c in n.children), n.arg)
        return got[id(self._root)]

    def inputs(self) -> st.SearchStrategy:
        """A strategy of input tuples (one float per variable) inside ``[-input_bound, input_bound]``."""
        one = values(Domain(-self._input_bound, self._input_bound, lo_open=False, hi_open=False),
                     bound=self._input_bound)
        return st.tuples(*([one] * self._n_vars))

    def to_sympy(self, symbols: Sequence | None = None):
        """The expression as a sympy expression in ``symbols`` (default: real symbols ``x0 .. x{n-1}``).

        Uses each op's :attr:`~autograd_core.Op.sympy` form; constants become exact rationals. Raises ValueError
        for an op without a sympy form (pass ``sympy=`` to ``define_op``).
        """
        try:
            import sympy
        except ImportError as e:
            raise ImportError("Expression.to_sympy needs sympy; install the test extra: "
                              "pip install 'autograd-core[test]'") from e
        if symbols is None:
            symbols = sympy.symbols(f"x0:{self._n_vars}", real=True) if self._n_vars > 1 else \
                (sympy.Symbol("x0", real=True),)
        symbols = list(symbols)
        if len(symbols) != self._n_vars:
            raise ValueError(f"Expression.to_sympy: expected {self._n_vars} symbols, got {len(symbols)}")
        got: dict = {}
        for n in _postorder(self._root):
            if n.index is not None:
                got[id(n)] = symbols[n.index]
            elif n.op is None:
                got[id(n)] = sympy.Rational(repr(n.const))
            else:
                kids = [got[id(c)] for c in n.children]
                if n.op.sympy is not None:
                    arg = None if n.arg is None else sympy.Rational(repr(n.arg))
                    got[id(n)] = n.op.sympy(*kids, arg)
                else:
                    raise ValueError(f"Expression.to_sympy: op {n.op.name!r} has no sympy form; give it one with "
                                     f"define_op(..., sympy=...)")
        return got[id(self._root)]

    def source(self) -> str:
        """Python source text of the expression; shared subexpressions are written out at every use."""
        if self._text is None:
            texts: dict = {}
            for n in _postorder(self._root):
                texts[id(n)] = _node_text(n, texts)
            self._text = texts[id(self._root)][0]
        return self._text

    def __str__(self) -> str:
        return self.source()

    def __repr__(self) -> str:
        return f"Expression({self.source()!r}, n_vars={self._n_vars})"


# --------------------------------------------------------------------------------------------------- drawing
def _guardable(op: Op, margin: float) -> bool:
    if any(d.integer for d in op.domains) or not all(_op_pieces(op, margin)):
        return False
    return op.smooth or bool(op.kinks)


def _op_pieces(op: Op, margin: float) -> list:
    """Per input: the safe pieces of its domain, rightmost first (so shrinking prefers the positive side of a kink)."""
    out = []
    for d in op.domains:
        pieces = _pieces(d, margin, op.kinks, margin, BOUND)
        out.append(sorted(pieces, key=lambda p: -p[1]))
    return out


class _Drawer:
    def __init__(self, draw: Callable, n_vars: int, max_depth: int, ops: list, shared: bool, max_ops: int,
                 input_bound: float, margin: float) -> None:
        self.draw = draw
        self.n_vars = n_vars
        self.max_depth = max_depth
        self.shared = shared
        self.max_ops = max_ops
        self.margin = margin
        self.guards = _Guards()
        self.ops = ops
        self.pieces = {op.name: _op_pieces(op, margin) for op in ops}
        self.vars = [_Node(index=i, interval=(-input_bound, input_bound)) for i in range(n_vars)]
        self.built: list = []  # finished op nodes, candidates for sharing
        self.n_ops = 0

    def node(self, level: int, force_op: bool, kind: int) -> _Node:
        """A node whose drawn ops nest at most ``max_depth - level`` deep; ``kind`` (0..9) picks variable (0-2),
        shared node (3-4) or new op (5-9).

        Every node is its own span of choices laid out the same way at every level (a kind, then its content), so
        the shrinker can replace a node by one of its descendants.
        """
        room = self.max_depth - level
        if room <= 0 or self.n_ops >= self.max_ops:
            return self.variable()
        if force_op:
            return self.operation(level)
        if kind <= 2:
            return self.variable()
        if kind <= 4 and self.shared:
            candidates = [n for n in self.built if n.level <= room]
            if candidates:
                return candidates[self.draw(st.integers(0, len(candidates) - 1))]
        return self.operation(level)

    def variable(self) -> _Node:
        return self.vars[self.draw(st.integers(0, self.n_vars - 1))]

    def operation(self, level: int) -> _Node:
        op = self.draw(st.sampled_from(self.ops))
        self.n_ops += 1
        n = op.arity if op.arity != -1 else op.counts[0] + op.counts[1] * self.draw(st.integers(1, 2))
        children = [self.draw(_node(self, level + 1, False)) for _ in range(n)]
        arg = None
        if op.param is not None:
            arg = self.draw(values(op.param_domain, bound=_WINDOW, margin=self.margin))
        pieces = self.pieces[op.name]
        chosen = []
        for i, child in enumerate(children):
            options = pieces[0] if op.arity == -1 else pieces[i]
            fitting = [p for p in options if _inside(child.interval, p)]
            if fitting:
                chosen.append(fitting[0])
            else:
                chosen.append(options[self.draw(st.integers(0, len(options) - 1))] if len(options) > 1 else options[0])
        kids = [self.guards.into(c, p, bounded=False) for c, p in zip(children, chosen)]
        out = _interval(op, [k.interval for k in kids], arg)
        if op.builtin and (out is None or max(abs(out[0]), abs(out[1])) > BOUND):
            # squeeze the inputs into bounded windows so the output stays moderate (exp(exp(x)), big products)
            kids = [self.guards.into(c, p, bounded=True) for c, p in zip(children, chosen)]
            out = _interval(op, [k.interval for k in kids], arg)
        node = _Node(op, tuple(kids), arg, interval=out, level=1 + max(c.level for c in children))
        self.built.append(node)
        return node


@st.composite
def _node(draw: Callable, drawer: _Drawer, level: int, force_op: bool) -> _Node:
    # one strategy per node, so that each node is a labelled span of choices for the shrinker
    kind = draw(st.integers(0, 9))  # shrinks towards 0: a variable
    return drawer.node(level, force_op, kind)


def _check_int(name: str, x: object, low: int) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < low:
        raise ValueError(f"expressions: {name} must be an int >= {low}, got {x!r}")
    return x


def _op_list(ops: Iterable[Union[Op, str]] | None, margin: float) -> list:
    if ops is None:
        chosen = [op for op in _ops.OPS.values() if _guardable(op, margin)]
    else:
        chosen = []
        for item in ops:
            op = _resolve(item, "expressions")
            if any(d.integer for d in op.domains):
                raise ValueError(f"expressions: op {op.name!r} has an integer input domain; random expressions "
                                 f"need real-valued inputs")
            if not all(_op_pieces(op, margin)):
                raise ValueError(f"expressions: an input domain of op {op.name!r} has no room left once "
                                 f"margin={margin} is kept from its ends and kinks; pass a smaller margin")
            if op not in chosen:
                chosen.append(op)
    if not chosen:
        raise ValueError("expressions: no ops to draw from")
    return chosen


def expressions(
    n_vars: int = 2,
    max_depth: int = 4,
    ops: Iterable[Union[Op, str]] | None = None,
    shared: bool = True,
    *,
    max_ops: int = 12,
    input_bound: float = 2.0,
    margin: float = 0.25,
) -> st.SearchStrategy:
    """Random :class:`Expression` graphs over ``n_vars`` variables, inside every op's domain (see module docs).

    Args:
        n_vars: number of variables ``x0 .. x{n_vars-1}`` (not all of them need to occur).
        max_depth: how deeply drawn ops nest (domain guards such as ``softplus(x) + 0.25`` are not counted).
        ops: ops or op names to draw from; default: every op of the table at draw time, custom ops included
            (except ops that cannot be guarded: integer input domains, non-smooth ops without declared kinks).
        shared: allow a drawn node to be reused by several parents (a DAG rather than a tree).
        max_ops: at most this many drawn op nodes.
        input_bound: inputs come from ``[-input_bound, input_bound]`` (see :meth:`Expression.inputs`).
        margin: distance kept from domain ends and kinks.

    The output's top node is always an op; shrinking goes towards fewer ops, variable ``x0`` and the first op of
    ``ops``.
    """
    _check_int("n_vars", n_vars, 1)
    _check_int("max_depth", max_depth, 1)
    _check_int("max_ops", max_ops, 1)
    for name, x in (("input_bound", input_bound), ("margin", margin)):
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x < BOUND / 10:
            raise ValueError(f"expressions: {name} must be a number in (0, {BOUND / 10:g}), got {x!r}")
    if not isinstance(shared, bool):
        raise TypeError(f"expressions: shared must be True or False, got {shared!r}")
    if isinstance(ops, (str, Op)):
        ops = [ops]
    fixed_ops = None if ops is None else list(ops)
    if fixed_ops is not None:
        _op_list(fixed_ops, margin)  # fail at definition time on bad op names

    @st.composite
    def draw_expression(draw: Callable) -> Expression:
        # the default op list is read at draw time, so ops defined after this call are included
        chosen = _op_list(fixed_ops, margin)
        drawer = _Drawer(draw, n_vars, max_depth, chosen, shared, max_ops, float(input_bound), float(margin))
        return Expression(draw(_node(drawer, 0, True)), n_vars, float(input_bound))

    return draw_expression()


def expressions_and_inputs(*args, **kwargs) -> st.SearchStrategy:
    """``(expr, inputs)`` pairs: an :func:`expressions` draw (same arguments) and a matching input tuple."""
    exprs = expressions(*args, **kwargs)

    @st.composite
    def pair(draw: Callable) -> tuple:
        expr = draw(exprs)
        return expr, draw(expr.inputs())

    return pair()
