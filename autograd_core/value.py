"""`Value`, the scalar node of the computation graph.

A Value stores its data, its gradient, the op table entry that produced it (``op_entry``), its constant parameter
(``arg``), its parents and its label and scope: never a closure, so a dropped graph is freed by reference counting
alone. The parents of a unary or binary node sit in two slots (``left``, ``right``) rather than in a tuple, and the
label and scope share one slot: a node is one tracked object, which halves the cycle collector's work while a graph is
built and keeps a node under 150 bytes. Every operator and method is a thin dispatcher into the op table of
:mod:`autograd_core.ops`; the switches that change recording (``no_grad``, ``scope``, anomaly mode) live, per
thread, in :mod:`autograd_core.switches`.
"""

from __future__ import annotations

import copyreg
import numbers
import shutil
import textwrap
import threading
from collections.abc import Iterable
from typing import Union

from . import ops as _ops
from . import switches as _sw
from .anomaly import domain_error, forward_anomaly
from .ops import to_float

__all__ = ["Value", "apply", "sum", "affine"]

Number = Union[int, float]

_ADD, _SUB, _MUL, _DIV, _NEG = _ops.ADD, _ops.SUB, _ops.MUL, _ops.DIV, _ops.NEG
_POW, _VPOW, _RPOW, _SUM, _AFFINE = _ops.POW, _ops.VPOW, _ops.RPOW, _ops.SUM, _ops.AFFINE
_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
_state = _sw.state
# Methods whose work lives on higher floors (backward in graph, pictures in render) are looked up here; those
# modules install themselves at import, so this module never imports upward.
HOOKS: dict = {}
_plain = True  # no switch block open in any thread (told by switches.listen): the hot path reads it once per node


def _follow(plain: bool) -> None:
    global _plain
    _plain = plain


_sw.listen(_follow)
_new = object.__new__
_EXACT = 2 ** 53


def _operators(op: _ops.Op, name: str) -> tuple:
    """The forward and reflected operator methods (``__mul__``, ``__rmul__``) of one binary op of the table.

    With the op's code template (``Op.py``) the forward is inlined, generated as ``data = self.data * other.data``
    (the same float operations as ``op.forward``), and the node is built in place while no switch is open: no call
    per node besides the operator itself. A math error there goes through :func:`_apply2`, which explains it.
    """
    if op.py is None:
        def forward(self, other):
            if type(other) is not Value:
                other = _lift(other, op.name)
                if other is None:
                    return NotImplemented
            return _apply2(op, self, other)

        def reflected(self, other):
            other = _lift(other, op.name)
            return NotImplemented if other is None else _apply2(op, other, self)
    else:
        def node(x: str, y: str) -> str:  # the node for inputs named x and y, inlined in each method
            return textwrap.indent(f"""\
if _plain:
    try:
        data = {op.py[0]([f"{x}.data", f"{y}.data"], None)}
    except _MATH_ERRORS:
        return _apply2(OP, {x}, {y})
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.op_entry = OP
    v.left = {x}
    v.right = {y}
    v.arg = v._meta = None
    return v
return _apply2(OP, {x}, {y})
""", " " * 8)
        source = f"""\
def make(OP):
    def __{name}__(self, other):
        if type(other) is not Value:
            other = _lift(other, {op.name!r})
            if other is None:
                return NotImplemented
{node("self", "other")}
    def __r{name}__(self, other):
        other = _lift(other, {op.name!r})
        if other is None:
            return NotImplemented
{node("other", "self")}
    return __{name}__, __r{name}__
"""
        # this module's globals, so _plain is read live; the op is a closure variable of the pair
        forward, reflected = _ops.exec_generated(source, f"Value.__{name}__", globals())["make"](op)
    forward.__doc__ = reflected.__doc__ = f"{op.doc} (op {op.name!r})"
    for f, prefix in ((forward, "__"), (reflected, "__r")):
        f.__name__ = f"{prefix}{name}__"  # what the class binds it as: __mul__ and __rmul__
        f.__qualname__ = f"Value.{f.__name__}"
    return forward, reflected


def _unary(op: _ops.Op, doc: str, name: str = ""):
    """The method ``x.op()`` of a unary op without parameter (``exp``, ``tanh``, ``__neg__``, ...).

    With the op's code template (``Op.py``) the forward is inlined as for the binary operators (:func:`_operators`);
    a math error goes through :func:`_apply1`, which explains it.
    """
    if op.py is None:
        def method(self):
            return _apply1(op, self, None)
    else:
        source = f"""\
def make(OP, ENV):
    {"; ".join(f"{k} = ENV[{k!r}]" for k in _ops.PY_ENV)}

    def method(self):
        if _plain:
            try:
                data = {op.py[0](["self.data"], None)}
            except _MATH_ERRORS:
                return _apply1(OP, self, None)
            v = _new(Value)
            v.data = data
            v.grad = 0.0
            v.op_entry = OP
            v.left = self
            v.right = v.arg = v._meta = None
            return v
        return _apply1(OP, self, None)
    return method
"""
        method = _ops.exec_generated(source, f"Value.{name or op.name}", globals())["make"](op, _ops.PY_ENV)
    method.__doc__ = doc
    method.__name__ = name or op.name
    method.__qualname__ = f"Value.{method.__name__}"
    return method


class Value:
    """A scalar in a computation graph.

    ``Value(data, label="")`` makes a leaf. Arithmetic (``+ - * / **``, unary ``-``, ``abs``) and the methods below
    make interior nodes that remember their op and parents; ``backward()`` then fills every ``grad`` with
    d root / d node by the chain rule, summed over all paths.

    Attributes:
        data: the value, a float.
        grad: d root / d self after ``backward()``; starts at 0.0. ``None`` (PyTorch's ``set_to_none``) counts as
            0.0: the next backward accumulates onto it from zero.
        label: a name for display (``repr``, rendering, error messages).
        op: name of the producing op (``"mul"``, ``"tanh"``, ...), ``""`` for a leaf.
        parents: the operand Values, in argument order; ``()`` for a leaf.
        scope: the :func:`scope` the Value was created in, or None.

    Comparisons (``<``, ``>``, ...) compare ``data`` and are not recorded; ``==`` is identity, so Values can be
    dictionary keys. Numbers come out as in PyTorch: ``float(v)``, ``v.item()``, ``int(v)``, ``round(v, 2)`` and
    ``f"{v:.3f}"`` all read ``data``. ``pickle`` and ``copy.deepcopy`` copy a Value with its whole graph.
    """

    # left/right: a unary node's parent is left (right None), a binary node's are left and right; any other node keeps
    # its parents as a tuple in right (left None); a leaf has neither. _meta: None, the scope (a str, no label), or
    # (label, scope). `parents`, `label` and `scope` read them back.
    __slots__ = ("data", "grad", "op_entry", "left", "right", "arg", "_meta", "__weakref__")
    __array_ufunc__ = None  # numpy scalars on the left defer to Value's reflected operators

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = data if type(data) is float else to_float(data, "Value")
        self.grad = 0.0
        if type(label) is not str:
            raise TypeError(f"Value: label must be a str, got {type(label).__name__}")
        self.op_entry = self.left = self.right = self.arg = None
        scope = None if _plain else _state.mode[_sw.SCOPE]
        self._meta = (label, scope) if label else scope

    # ------------------------------------------------------------------ fields kept compactly
    @property
    def parents(self) -> tuple:
        """The operand Values in argument order, ``()`` for a leaf."""
        x = self.left
        if x is None:
            y = self.right
            return () if y is None else y
        y = self.right
        return (x,) if y is None else (x, y)

    @property
    def label(self) -> str:
        """A name for display (``repr``, rendering, error messages); ``""`` for none."""
        m = self._meta
        return m[0] if type(m) is tuple else ""

    @label.setter
    def label(self, label: str) -> None:
        if type(label) is not str:
            raise TypeError(f"Value.label must be a str, got {type(label).__name__}")
        scope = self.scope
        self._meta = (label, scope) if label else scope

    @property
    def scope(self) -> str | None:
        """The :func:`scope` path the Value was created in (``"layers.0/neuron2"``), or None."""
        m = self._meta
        return m[1] if type(m) is tuple else m

    @scope.setter
    def scope(self, scope: str | None) -> None:
        if scope is not None and type(scope) is not str:
            raise TypeError(f"Value.scope must be a str or None, got {type(scope).__name__}")
        label = self.label
        self._meta = (label, scope) if label else scope

    # ------------------------------------------------------------------ introspection
    @property
    def op(self) -> str:
        """Name of the op that produced this Value, ``""`` for a leaf."""
        op = self.op_entry
        return "" if op is None else op.name

    @property
    def is_leaf(self) -> bool:
        """True for Values made directly (or under ``no_grad``/``detach``) rather than by an op."""
        return self.op_entry is None

    def local_derivatives(self) -> tuple:
        """The local derivatives d self / d parent, one float per parent, evaluated from the op table."""
        op = self.op_entry
        if op is None:
            return ()
        return op.local_derivatives(tuple(p.data for p in self.parents), self.data, self.arg)

    def __repr__(self) -> str:
        # repr(float): Python's shortest form that reads back as the same float (123456789.123, 0.1, 1e-05)
        parts = [f"data={self.data!r}", f"grad={self.grad!r}"]
        if self.op_entry is not None:
            parts.append(f"op={self.op_entry.name!r}")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Value({', '.join(parts)})"

    # ------------------------------------------------------------------ numbers out (PyTorch's habits)
    def __float__(self) -> float:
        return self.data

    def __int__(self) -> int:
        """``int(v)`` is ``int(v.data)`` (truncates toward zero, like ``int`` of a float)."""
        return int(self.data)

    def __round__(self, ndigits: int | None = None):
        """``round(v)`` is ``round(v.data)``, an int; ``round(v, 2)`` is ``round(v.data, 2)``, a float."""
        return round(self.data) if ndigits is None else round(self.data, ndigits)

    def __format__(self, spec: str) -> str:
        """A format spec applies to ``data``: ``f"{v:.3f}"`` is ``f"{v.data:.3f}"``; ``f"{v}"`` is ``repr(v)``."""
        if not spec:
            return repr(self)
        try:
            return format(self.data, spec)
        except (ValueError, TypeError) as e:
            raise type(e)(f"format(Value, {spec!r}): the spec applies to the Value's data, the float {self.data!r} "
                          f"({e}); use a float spec such as '.3f', '10.4g' or '.2e'") from None

    def item(self) -> float:
        """The data as a float, as PyTorch's ``tensor.item()``: ``v.item() == v.data``."""
        return self.data

    def graph(self, max_nodes: int = 200) -> str:
        """A text tree of this Value's inputs, for terminals without Graphviz (see :func:`autograd_core.text_tree`)."""
        return HOOKS["text_tree"](self, max_nodes=max_nodes)

    def _repr_html_(self) -> str | None:
        # Jupyter/Colab without Graphviz's dot: the graph laid out in the page itself by the vendored WebAssembly
        # Graphviz (installed by the page floor). With dot, None: _repr_svg_'s static picture is a few KB, the
        # page about 1.4 MB in every output cell.
        hook = HOOKS.get("repr_html")
        if hook is None or shutil.which("dot") is not None:
            return None
        return hook(self)

    def _repr_svg_(self) -> str | None:
        # Jupyter shows a Value as its graph when graphviz and dot are available; otherwise it falls back to repr.
        try:
            return HOOKS["draw"](self)._repr_image_svg_xml()
        except Exception:  # any missing piece of the optional rendering stack: show the plain repr instead
            return None

    # ------------------------------------------------------------------ backward
    def backward(self, grad: Union[Number, Value, None] = None, *,
                 gradient: Union[Number, Value, None] = None) -> None:
        """Fill ``.grad`` of every node of this Value's graph with d self / d node.

        ``grad`` is the seed d L / d self (default 1.0); ``gradient=`` is the same argument under PyTorch's name
        (giving both is a TypeError), and a Value seed counts as its data. Interior nodes' grads are reset at the
        start of each call; leaves accumulate across calls (like PyTorch leaves) until zeroed with
        :func:`autograd_core.zero_grad`, ``v.grad = 0`` or ``v.grad = None`` (PyTorch's ``set_to_none``: backward
        accumulates onto it from 0.0). The walk is iterative (no recursion limit) and visits nodes in the reverse of
        :func:`autograd_core.topological_order`, so results are deterministic.
        """
        if gradient is not None:
            if grad is not None:
                raise TypeError(f"backward: got both grad={grad!r} and gradient={gradient!r}; they are one argument "
                                "(gradient is PyTorch's name for it): pass only one")
            grad, where = gradient, "backward(gradient=...)"
        elif grad is None:
            grad = 1.0
        else:
            where = "backward(grad=...)"
        if type(grad) is not float:
            grad = grad.data if isinstance(grad, Value) else to_float(grad, where)
        HOOKS["backward"](self, grad)

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this graph."""
        return Value(self.data, self.label)

    # ------------------------------------------------------------------ copy and pickle
    def __copy__(self) -> Value:
        """``copy.copy(v)``: a new node with v's data, grad, label and op over the *same* parents (nothing upstream
        is copied)."""
        c = _new(type(self))
        c.data, c.grad, c.op_entry, c.left, c.right, c.arg, c._meta = (
            self.data, self.grad, self.op_entry, self.left, self.right, self.arg, self._meta)
        return c

    def __deepcopy__(self, memo: dict) -> Value:
        """``copy.deepcopy(v)``: a copy of v's whole upstream graph, built parents first without recursion.

        Nodes already copied by the same ``deepcopy`` call are reused, so shared subgraphs stay shared, also between
        several objects copied together (``copy.deepcopy((loss, model))``: the copied loss is built on the copied
        model's parameters). Ops are table entries: the copy uses the same ones.
        """
        order = HOOKS["topological_order"](self) if self.parents else (self,)
        for v in order:
            if id(v) in memo:
                continue
            c = _new(type(v))
            c.data, c.grad, c.arg, c._meta = v.data, v.grad, v.arg, v._meta
            _link(c, v.op_entry, tuple([memo[id(p)] for p in v.parents]))
            memo[id(v)] = c
        memo.setdefault(id(memo), []).append(self)  # copy's keep-alive rule: memo's ids must stay valid
        return memo[id(self)]

    def __reduce__(self) -> tuple:
        """Pickling: ``pickle.dumps(v)`` stores v's whole upstream graph and rebuilds it, at any depth.

        A node pickles as its fields, its parents included. Pickled one inside another, a chain of 10**4 nodes would
        exceed Python's recursion limit, so the first node of a graph that is pickled (the root) stores first the
        list of its interior ancestors, parents before children (:func:`autograd_core.topological_order`): when a
        node is written its parents already are, and pickle refers back to them. Pickle writes every object once,
        so shared subgraphs stay shared, also between several Values pickled together. Ops are stored by name and
        come back as the same table entries (a custom op must be defined with ``define_op`` before unpickling).
        """
        state = (self.data, self.grad, self.label, self.op_entry, self.parents, self.arg, self.scope)
        active = _pickling_ids()
        if not self.parents or id(self) in active:
            return copyreg.__newobj__, (type(self),), state
        order = HOOKS["topological_order"](self)
        for op in {v.op_entry for v in order} - {None}:
            op.__reduce__()  # an op that cannot be pickled fails here, before anything is written
        interior = [v for v in order[:-1] if v.parents]
        ids = {id(v) for v in interior}
        active.update(ids)
        return copyreg.__newobj__, (type(self),), (interior, _Release(ids), *state)

    def __setstate__(self, state: tuple) -> None:
        # the last seven entries are the fields; a root's state starts with its ancestors and a marker (__reduce__)
        data, grad, label, op, parents, arg, scope = state[-7:]
        self.data, self.grad, self.arg = data, grad, arg
        self._meta = (label, scope) if label else scope
        _link(self, op, parents)

    # ------------------------------------------------------------------ arithmetic
    __add__, __radd__ = _operators(_ADD, 'add')
    __sub__, __rsub__ = _operators(_SUB, 'sub')
    __mul__, __rmul__ = _operators(_MUL, 'mul')
    __truediv__, __rtruediv__ = _operators(_DIV, 'truediv')

    def __pow__(self, other):
        """``x ** c`` (op ``pow``, c a constant) or ``x ** y`` (op ``vpow``, y a Value)."""
        if isinstance(other, Value):
            return _apply2(_VPOW, self, other)
        if type(other) is not float and (isinstance(other, bool) or not isinstance(other, numbers.Real)):
            return NotImplemented
        return _apply1(_POW, self, to_float(other, "pow (x ** c)"))

    def __rpow__(self, other):
        """``b ** x`` for a constant base b (op ``rpow``)."""
        if type(other) is not float and (isinstance(other, bool) or not isinstance(other, numbers.Real)):
            return NotImplemented
        return _apply1(_RPOW, self, to_float(other, "rpow (c ** x)"))

    __neg__ = _unary(_NEG, "-x (op 'neg'); derivative -1.", "__neg__")

    def __pos__(self):
        return self

    __abs__ = _unary(_ops.ABS, "|x| (op 'abs'); derivative sign(x), 0 at x = 0.", "__abs__")

    # Comparisons look at data only: handy for `if loss < 1e-3`, never recorded in the graph.
    def __lt__(self, other):
        return self.data < _cmp(other)

    def __le__(self, other):
        return self.data <= _cmp(other)

    def __gt__(self, other):
        return self.data > _cmp(other)

    def __ge__(self, other):
        return self.data >= _cmp(other)

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ functions (one per table entry)
    exp = _unary(_ops.EXP, 'e^x; derivative e^x. OverflowError above x = 709.78.')
    log = _unary(_ops.LOG, 'Natural logarithm; derivative 1/x. ValueError for x <= 0.')
    sqrt = _unary(_ops.SQRT, 'Square root; derivative 1 / (2 sqrt x). ValueError for x < 0.')
    tanh = _unary(_ops.TANH, 'tanh x; derivative 1 - tanh(x)^2.')
    sigmoid = _unary(_ops.SIGMOID, '1 / (1 + e^-x), computed without overflow; derivative s (1 - s).')
    relu = _unary(_ops.RELU, 'max(0, x); derivative 1 for x > 0, else 0 (0 at x = 0, as in PyTorch).')

    def leaky_relu(self, slope: Number = 0.01) -> Value:
        """x for x > 0, else slope * x; derivative 1 or slope."""
        return _apply1(_ops.LEAKY_RELU, self, to_float(slope, "leaky_relu(slope=...)"))

    softplus = _unary(_ops.SOFTPLUS, 'ln(1 + e^x), computed without overflow; derivative sigmoid(x).')

    def elu(self, alpha: Number = 1.0) -> Value:
        """x for x > 0, else alpha (e^x - 1); derivative 1 or alpha e^x."""
        return _apply1(_ops.ELU, self, to_float(alpha, "elu(alpha=...)"))

    sin = _unary(_ops.SIN, 'sin x; derivative cos x.')
    cos = _unary(_ops.COS, 'cos x; derivative -sin x.')
    step = _unary(_ops.STEP, 'Binary step: 0 for x < 0, else 1; derivative 0.')


_pickling = threading.local()


def _pickling_ids() -> set:
    """ids of the interior nodes listed by a root being pickled in this thread: each pickles without its ancestors,
    which the list has written before it (see ``Value.__reduce__``)."""
    ids = getattr(_pickling, "ids", None)
    if ids is None:
        ids = _pickling.ids = set()
    return ids


class _Release:
    # Pickled right after a root's list of ancestors: from here on those nodes are pickled as ordinary roots again.
    __slots__ = ("ids",)

    def __init__(self, ids: set) -> None:
        self.ids = ids

    def __reduce__(self) -> tuple:
        _pickling_ids().difference_update(self.ids)
        return tuple, ()


def _cmp(other: object) -> float:
    if type(other) is Value or isinstance(other, Value):
        return other.data
    return to_float(other, "comparison")


def _lift(x: object, where: str) -> Value | None:
    """A constant operand as a leaf Value; None for types the operators do not take (they return NotImplemented)."""
    if type(x) is float:
        # hot path (a network's inputs, constants in expressions): build the leaf without __init__'s validation
        v = _new(Value)
        v.data = x
        v.grad = 0.0
        v.op_entry = v.left = v.right = v.arg = None
        v._meta = None if _plain else _state.mode[_sw.SCOPE]
        return v
    if isinstance(x, Value):
        return x
    if type(x) is int and -_EXACT <= x <= _EXACT:
        return _lift(float(x), where)  # builtin sum's start 0, the 2 in 2 * x: exactly representable
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(to_float(x, where))
    return None


def _link(v: Value, op: _ops.Op | None, parents: tuple) -> None:
    """Set a node's op and parents in their compact slots (see ``Value.__slots__``)."""
    v.op_entry = op
    if op is None or not parents:
        v.left = v.right = None
    elif op.arity == -1 or len(parents) > 2:
        v.left, v.right = None, parents
    elif len(parents) == 1:
        v.left, v.right = parents[0], None
    else:
        v.left, v.right = parents


def _make(op: _ops.Op, data: float, left: Value | None, right, arg) -> Value:
    # Node construction when some switch may be on (no_grad, scope, anomaly) in some thread: read this thread's.
    # left/right as the slots hold them: (x, None) unary, (x, y) binary, (None, parents) variadic.
    grad_enabled, anomaly, scope = _state.mode
    if anomaly and not (data - data == 0.0):
        raise forward_anomaly(op, right if left is None else (left,) if right is None else (left, right), arg, data)
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    if grad_enabled:
        v.op_entry = op
        v.left = left
        v.right = right
        v.arg = arg
    else:
        v.op_entry = v.left = v.right = v.arg = None
    v._meta = scope
    return v


def _apply1(op: _ops.Op, x: Value, arg) -> Value:
    try:
        data = op.forward(x.data, arg)
    except _MATH_ERRORS as e:
        raise domain_error(op, (x,), arg, e, _state.mode[_sw.ANOMALY]) from None
    if _plain:
        # _apply2 and apply inline this same construction: one call less per node on the hot path
        v = _new(Value)
        v.data = data
        v.grad = 0.0
        v.op_entry = op
        v.left = x
        v.right = v._meta = None
        v.arg = arg
        return v
    return _make(op, data, x, None, arg)


def _apply2(op: _ops.Op, x: Value, y: Value) -> Value:
    try:
        data = op.forward(x.data, y.data, None)
    except _MATH_ERRORS as e:
        raise domain_error(op, (x, y), None, e, _state.mode[_sw.ANOMALY]) from None
    if _plain:
        v = _new(Value)
        v.data = data
        v.grad = 0.0
        v.op_entry = op
        v.left = x
        v.right = y
        v.arg = v._meta = None
        return v
    return _make(op, data, x, y, None)


def apply(op: Union[_ops.Op, str], *inputs: Union[Value, Number], arg: Number | None = None):
    """Apply a table op (an :class:`Op` or its name) to inputs: ``apply("tanh", x)``, ``apply("sum", a, b, arg=1)``.

    With at least one Value input, the result is a recorded Value. With plain numbers only, the result is a float
    (the op's forward), which is what makes local derivatives written with these functions work both in plain
    backward and under ``gradients(create_graph=True)``. A variadic op (``sum``) takes any number of inputs.
    """
    if isinstance(op, str):
        op = _ops.get_op(op)
    elif not isinstance(op, _ops.Op):
        raise TypeError(f"apply: op must be an Op or an op name, got {type(op).__name__}")
    n = len(inputs)
    if not op.takes(n):
        takes = op.arity if op.arity != -1 else f"{op.counts[0]} + {op.counts[1]}k"
        raise TypeError(f"apply: op {op.name!r} takes {takes} input(s), got {n}")
    if op.param is None and arg is not None:
        raise TypeError(f"apply: op {op.name!r} takes no parameter, got arg={arg!r}")
    if op.param is not None:
        if arg is None:
            raise TypeError(f"apply: op {op.name!r} needs its parameter: arg=<{op.param}>")
        arg = to_float(arg, f"{op.name}({op.param}=...)")
    if not any(isinstance(x, Value) for x in inputs):
        datas = tuple(to_float(x, op.name) for x in inputs)
        try:
            return op.forward(*datas, arg)
        except _MATH_ERRORS as e:
            raise domain_error(op, tuple(Value(d) for d in datas), arg, e, _state.mode[_sw.ANOMALY]) from None
    parents = tuple(x if isinstance(x, Value) else _lift_or_raise(x, op.name) for x in inputs)
    if op.arity == 1:
        return _apply1(op, parents[0], arg)
    if op.arity == 2 and arg is None:
        return _apply2(op, parents[0], parents[1])
    try:
        data = op.forward(*[p.data for p in parents], arg)
    except _MATH_ERRORS as e:
        raise domain_error(op, parents, arg, e, _state.mode[_sw.ANOMALY]) from None
    # left here: a variadic op (its parents as one tuple) or a binary op with a parameter
    left, right = (None, parents) if op.arity == -1 else parents
    if _plain:
        v = _new(Value)
        v.data, v.grad, v.op_entry, v.left, v.right, v.arg, v._meta = data, 0.0, op, left, right, arg, None
        return v
    return _make(op, data, left, right, arg)


def _lift_or_raise(x: object, where: str) -> Value:
    v = _lift(x, where)
    if v is None:
        raise TypeError(f"{where}: expected a real number (int, float) or a Value, got {type(x).__name__} {x!r:.60}")
    return v


def sum(values: Iterable[Union[Value, Number]], start: Union[Value, Number] = 0.0):  # noqa: A001
    """``start + values[0] + values[1] + ...`` as ONE node (op ``sum``), added left to right.

    A neuron's ``b + Σ w_i x_i`` becomes one node over its products instead of a chain of binary adds, which
    makes graphs smaller and backward faster. Every local derivative is 1. A Value ``start`` becomes the first
    parent; a number ``start`` is a constant kept with the node. Like every function here, plain numbers in give a
    float out: ``sum([1.0, 2.0]) == 3.0``.
    """
    if isinstance(start, Value):
        items, const = (start, *values), 0.0
    else:
        items, const = tuple(values), (start if type(start) is float else to_float(start, "sum(start=...)"))
    for x in items:
        if type(x) is not Value:
            return apply(_SUM, *items, arg=const)  # numbers, subclasses, bad items: the general path decides
    if not items:
        return const
    s = const
    for x in items:  # the op's forward, inlined: a neuron's sum is on the hot path of every network
        s += x.data
    if _plain:
        v = _new(Value)
        v.data, v.grad, v.op_entry, v.left, v.right, v.arg, v._meta = s, 0.0, _SUM, None, items, const, None
        return v
    return _make(_SUM, s, None, items, const)


def affine(bias: Union[Value, Number], weights: Iterable, inputs: Iterable):
    """A neuron's weighted sum ``b + w_0 x_0 + w_1 x_1 + ...`` as ONE node (op ``affine``), added left to right.

    Local derivatives: d/db = 1, d/dw_k = x_k, d/dx_k = w_k. One node instead of a product per weight and a sum
    makes a network's graph about five times smaller and its backward correspondingly faster; ``nn`` builds every
    neuron with it. The node's parents are ``(b, w_0, ..., w_{n-1}, x_0, ..., x_{n-1})``. Numbers may stand for any
    of them; with no Value at all the result is a float, as for every function here.
    """
    ws, xs = tuple(weights), tuple(inputs)
    if len(ws) != len(xs):
        raise ValueError(f"affine: {len(ws)} weights for {len(xs)} inputs; a weighted sum needs one weight per input")
    items = (bias, *ws, *xs)
    for x in items:
        if type(x) is not Value:
            return apply(_AFFINE, *items)  # numbers, subclasses, bad items: the general path decides
    s = 0.0 + bias.data
    for w, x in zip(ws, xs):  # the op's forward, inlined: every neuron of every network runs it
        s += w.data * x.data
    if _plain:
        v = _new(Value)
        v.data, v.grad, v.op_entry, v.left, v.right, v.arg, v._meta = s, 0.0, _AFFINE, None, items, None, None
        return v
    return _make(_AFFINE, s, None, items, None)


# Dual functions: a Value in, a recorded Value out; plain numbers in, a float out. Custom ops write their local
# derivatives with these so that the same code serves backward and gradients(create_graph=True).
def exp(x):
    """e^x of a Value (recorded) or a number (float)."""
    return apply(_ops.EXP, x)


def log(x):
    """Natural log of a Value (recorded) or a number (float); ValueError for x <= 0."""
    return apply(_ops.LOG, x)


def sqrt(x):
    """Square root of a Value (recorded) or a number (float); ValueError for x < 0."""
    return apply(_ops.SQRT, x)


def tanh(x):
    """tanh of a Value (recorded) or a number (float)."""
    return apply(_ops.TANH, x)


def sigmoid(x):
    """1 / (1 + e^-x) of a Value (recorded) or a number (float), without overflow."""
    return apply(_ops.SIGMOID, x)


def relu(x):
    """max(0, x) of a Value (recorded) or a number (float)."""
    return apply(_ops.RELU, x)


def leaky_relu(x, slope: Number = 0.01):
    """x if x > 0 else slope * x, of a Value (recorded) or a number (float)."""
    return apply(_ops.LEAKY_RELU, x, arg=slope)


def softplus(x):
    """ln(1 + e^x) of a Value (recorded) or a number (float), without overflow."""
    return apply(_ops.SOFTPLUS, x)


def elu(x, alpha: Number = 1.0):
    """x if x > 0 else alpha (e^x - 1), of a Value (recorded) or a number (float)."""
    return apply(_ops.ELU, x, arg=alpha)


def sin(x):
    """sin of a Value (recorded) or a number (float)."""
    return apply(_ops.SIN, x)


def cos(x):
    """cos of a Value (recorded) or a number (float)."""
    return apply(_ops.COS, x)


def step(x):
    """The binary step activation (0 for x < 0 else 1; op ``step``, derivative 0) of a Value (recorded) or a number
    (float). Not to be confused with :class:`autograd_core.Step`, one step of :func:`autograd_core.backward_steps`."""
    return apply(_ops.STEP, x)


__all__ += ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu", "softplus", "elu", "sin", "cos", "step"]
