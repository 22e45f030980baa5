"""The table of primitive operations: the one home of everything op-specific.

Each primitive is one :class:`Op` entry: its name and arity, a forward function on floats, one local derivative per
input, its domains and kinks, its sympy form, how it is written as text (:meth:`Op.write`), how its output interval
follows from its inputs' (for the strategies), and how a domain error at given inputs is explained
(:meth:`Op.explain`). A local derivative is called as ``d(*inputs, out, arg)`` and may reuse the output ``out``
(``exp``, ``tanh``, ``sigmoid``). The same derivative functions serve two modes:

* plain backward: ``inputs`` and ``out`` are floats and the derivative returns a float;
* ``gradients(create_graph=True)``: ``inputs`` and ``out`` are Values and the derivative builds a differentiable
  graph (:meth:`Op.derivatives_on_values`). That is why derivatives are written with arithmetic operators and the
  dual-mode helpers below (``_cos``, ``_sigmoid``, ...), never with ``math`` directly.

No other module compares an op's name: everything that differs between ops is a field or a rule here, and the tests
iterate over the table, so a new entry is tested automatically. :func:`define_op` adds user-defined primitives.
"""

from __future__ import annotations

import linecache
import math
import numbers
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Op", "Domain", "OPS", "define_op", "get_op", "to_float", "drop_arg", "find_op", "ATOM", "UNARY", "PY_ENV",
           "exec_generated", "literal"]

_inf = math.inf
_BIG = "the largest float (1.8e308)"


def to_float(x: object, where: str) -> float:
    """Every user number becomes a float here: int, float, Fraction, numpy scalars; errors name ``where``.

    A bool, a complex, a string or any non-real is a TypeError; an int beyond float range an OverflowError.
    """
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{where}: expected a real number (int, float) or a Value, got {type(x).__name__} {x!r:.60}")
    try:
        return float(x)
    except OverflowError:
        size = f"an int of {x.bit_length()} bits" if isinstance(x, int) else f"{type(x).__name__} {x!s:.40}"
        raise OverflowError(f"{where}: {size} is beyond the float range (largest {_BIG}); scale it down, or pass "
                            "a float such as 1e300") from None


@dataclass(frozen=True)
class Domain:
    """An interval of real numbers, used to validate inputs and to draw test inputs inside an op's domain.

    ``lo < x < hi`` with open ends, ``lo <= x <= hi`` with closed ones. ``integer=True`` restricts to integers.
    """

    lo: float = -_inf
    hi: float = _inf
    lo_open: bool = True
    hi_open: bool = True
    integer: bool = False

    def __contains__(self, x: float) -> bool:
        if self.integer and x != int(x):
            return False
        above = x > self.lo if self.lo_open else x >= self.lo
        below = x < self.hi if self.hi_open else x <= self.hi
        return above and below

    def describe(self) -> str:
        """Human-readable form, e.g. ``> 0`` or ``in [-1, 1]``."""
        if self.lo == -_inf and self.hi == _inf:
            return "any real number"
        if self.hi == _inf:
            return f"{'>' if self.lo_open else '>='} {self.lo:g}"
        if self.lo == -_inf:
            return f"{'<' if self.hi_open else '<='} {self.hi:g}"
        return f"in {'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}{')' if self.hi_open else ']'}"


REALS = Domain()

# Precedences of written expressions (Python's), so the printer adds only the parentheses the structure needs.
ATOM, POWER, UNARY, PREC_MUL, PREC_ADD = 5, 4, 3, 2, 1
_INFIX = {"+": PREC_ADD, "-": PREC_ADD, "*": PREC_MUL, "/": PREC_MUL, "**": POWER}


def _const(c: float, exact: bool) -> tuple:
    text = repr(float(c)) if exact else f"{c:g}"
    return text, (UNARY if text.startswith("-") else ATOM)


def _wrap(item: tuple, need: int) -> str:
    return item[0] if item[1] >= need else f"({item[0]})"


class Op:
    """One primitive operation.

    Attributes:
        name: the op's name, as shown in ``Value.op``, in rendered graphs and in error messages.
        arity: number of Value inputs; ``-1`` for a variadic op (``sum``).
        forward: ``forward(*inputs, arg) -> float`` on floats.
        derivs: one local derivative per input, ``d(*inputs, out, arg)``; a variadic op has a single one, called as
            ``d(inputs, out, arg)`` and returning the tuple of all its local derivatives at once (one call per node,
            not per input). ``None`` marks a constant derivative of 1 (``add``, ``sum``), which backward applies
            without a call.
        counts: for a variadic op, ``(first, step)``: it takes ``first``, ``first + step``, ... inputs (``affine``
            takes a bias and pairs of weights and inputs: ``(1, 2)``).
        param: name of the op's constant parameter (``exponent`` for ``pow``), or ``None``.
        domains: per input, the :class:`Domain` on which forward and derivatives are defined (used by tests and
            strategies; the forward function itself raises on inputs outside it).
        param_domain: the parameter's :class:`Domain` for tests and strategies.
        explainer: optional ``explainer(*inputs, arg) -> (ExceptionType, reason) | None``; see :meth:`explain`.
        symbol: the operator symbol (``+``, ``**``, unary ``-``), or ``None`` for function-call notation.
        notation: how :meth:`write` writes a node: ``"infix"`` (``a + b``), ``"prefix"`` (``-a``), ``"power"``
            (``a ** c``, c the parameter), ``"rpower"`` (``c ** a``), ``"call"`` (``tanh(a)``, ``sum([a, b])``) or
            ``"affine"`` (``b + w0 * x0 + w1 * x1`` for reading, a call when exact).
        exponent: which operand is an exponent (an input index, or ``"param"``), so the parser can bound it.
        interval: optional ``interval(op, input_intervals, arg) -> (lo, hi)``: a guaranteed range of the output,
            used by the strategies to keep drawn expressions inside every op's domain.
        sympy: optional ``sympy(*symbols, arg)`` giving the op as a sympy expression, for exact-derivative tests.
        smooth: False for ops with kinks or jumps (relu, abs, step): tests avoid drawing inputs near them.
        kinks: input values at which the op is not differentiable (0.0 for relu): gradcheck skips its local check
            of an op whose input lies within eps of one, where the derivative is only a convention.
        doc: one line, with the formula and the derivative.
        py: optional code generation for :func:`autograd_core.compile`'s Python backend: ``(forward, derivs)`` with
            ``forward(xs, arg) -> str`` a Python expression of the output from the input variable names ``xs`` and
            ``derivs(xs, out, arg) -> tuple`` one expression per input (``None`` for the constant 1); ``arg`` is
            a number (written as a literal) or a str (source that gives it, e.g. ``"v.arg"``). The expressions use
            the names of :data:`PY_ENV` and must do the very same float operations (and raise the same errors) as
            ``forward``/``derivs``: compile's replay and backward's generated loop (:mod:`autograd_core.graph`)
            inline them, bit-identical to calling ``derivs``. Without it, both call ``forward``/``derivs``.
        np: optional vectorised form for compile's numpy backend: ``(forward, derivs)`` with
            ``forward(np, M, arg) -> (K,)`` for the inputs of K nodes as the columns of ``M`` (K x n) and
            ``derivs(np, M, out, arg)`` the local derivatives as an array broadcastable to (K, n), or ``None`` when
            all are 1. Without it, the numpy backend calls ``forward``/``derivs`` node by node.
        nb: optional numba form of a variadic op's local derivatives for compile's numba backend:
            ``nb(x, out, arg, d)`` writes d out / d x_k into ``d[k]`` for the inputs ``x`` (a sequence), in plain
            float arithmetic numba compiles; without it the numba kernel calls ``derivs`` in object mode (slow).
    """

    __slots__ = ("name", "arity", "forward", "derivs", "param", "domains", "param_domain", "explainer", "symbol",
                 "notation", "exponent", "interval", "sympy", "smooth", "kinks", "doc", "builtin", "counts", "py",
                 "np", "nb")

    def __init__(self, name: str, arity: int, forward: Callable[..., float], derivs: tuple, *,
                 param: str | None = None, domains: tuple | None = None, param_domain: Domain = REALS,
                 explainer: Callable | None = None, symbol: str | None = None, notation: str = "call",
                 exponent=None, interval: Callable | None = None, sympy: Callable | None = None,
                 smooth: bool = True, kinks: tuple = (), doc: str = "", builtin: bool = False,
                 counts: tuple = (1, 1), py: tuple | None = None, np: tuple | None = None,
                 nb: Callable | None = None) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"define_op: name must be an identifier such as 'my_sin', got {name!r}")
        if arity not in (-1, 1, 2):
            raise ValueError(f"define_op: arity must be 1, 2 or -1 (variadic), got {arity!r} for op {name!r}")
        n = 1 if arity == -1 else arity
        if not isinstance(derivs, tuple) or len(derivs) != n:
            raise ValueError(f"define_op: op {name!r} has arity {arity} and needs {n} local derivative(s), "
                             f"got {derivs!r}")
        _check_callables(name, forward, derivs)
        self.name, self.arity, self.forward, self.derivs = name, arity, forward, derivs
        self.param, self.param_domain, self.explainer = param, param_domain, explainer
        self.domains = domains if domains is not None else (REALS,) * n
        self.symbol, self.notation, self.exponent, self.interval = symbol, notation, exponent, interval
        self.sympy, self.smooth, self.kinks, self.doc, self.builtin = sympy, smooth, kinks, doc, builtin
        self.counts = counts
        self.py, self.np, self.nb = py, np, nb

    def takes(self, n: int) -> bool:
        """Whether the op takes ``n`` inputs (its arity, or for a variadic op one of its :attr:`counts`)."""
        if self.arity != -1:
            return n == self.arity
        first, step = self.counts
        return n >= first and (n - first) % step == 0

    def local_derivatives(self, inputs: tuple, out, arg=None) -> tuple:
        """Local derivatives d out / d input_i for every input (floats, or Values in create-graph mode)."""
        if self.arity == -1:
            d = self.derivs[0]
            return (1.0,) * len(inputs) if d is None else tuple(d(inputs, out, arg))
        return tuple(1.0 if d is None else d(*inputs, out, arg) for d in self.derivs)

    def derivatives_on_values(self, parents: tuple, node, arg=None) -> tuple:
        """The local derivatives evaluated on Values (``gradients(create_graph=True)``), each differentiable.

        A derivative that returns a plain number for Value inputs is a constant to double backward. That is right
        for piecewise-constant derivatives (relu's 1 or 0, sub's -1) and wrong when the number changes with the
        input (``math.cos(x)`` turns a Value into a float): then TypeError names the op and the fix. Constant means
        unchanged between two small steps on at least one side of every input, so a kink (abs at 0) is no alarm.
        """
        locals_ = self.local_derivatives(parents, node, arg)
        datas = None
        for i, d in enumerate(locals_):
            if isinstance(d, numbers.Number) and (self.arity == -1 or self.derivs[i] is not None):
                datas = datas or [p.data for p in parents]
                j = self._varies(i, datas, arg)
                if j is not None:
                    raise TypeError(
                        f"{self.name}: local derivative {i} returned the plain number {d!r} for Value inputs, but it "
                        f"changes with input {j} ({datas[j]!r}), so second derivatives through {self.name} would "
                        "silently be wrong: write the derivative with Value arithmetic and autograd_core's functions "
                        "(autograd_core.cos(x), autograd_core.exp(x), ...), not math.*, which turns a Value into a "
                        "float")
        return locals_

    def _varies(self, i: int, datas: list, arg) -> int | None:
        # the input j beside which derivative i changes on both sides (a kink has a constant side), or None
        for j, x in enumerate(datas):
            h = 1e-6 * max(1.0, abs(x))
            sides = []
            for steps in ((h, 2 * h), (-h, -2 * h)):
                got = []
                for step in steps:
                    moved = list(datas)
                    moved[j] = x + step
                    try:
                        got.append(self.local_derivatives(tuple(moved), self.forward(*moved, arg), arg)[i])
                    except (ValueError, ZeroDivisionError, OverflowError):
                        break  # undefined beside the point: no evidence either way
                sides.append(len(got) == 2 and got[0] != got[1])
            if all(sides):
                return j
        return None

    def write(self, operands: Sequence[tuple], arg=None, *, exact: bool = False, max_inputs: int = 0) -> tuple:
        """THE printer: a node as source-like text from its operands' ``(text, precedence)``; returns the same pair.

        ``exact=True`` writes constants with ``repr`` so :func:`autograd_core.parse_expression` rebuilds the very
        same graph; otherwise with ``:g``. ``max_inputs`` abbreviates long argument lists (``... 4 more``).
        """
        how = self.notation
        if how == "infix":
            p = _INFIX.get(self.symbol, PREC_ADD)
            left, right = operands
            if p == POWER:  # right-associative, and -x ** y means -(x ** y)
                return f"{_wrap(left, ATOM)} ** {_wrap(right, UNARY)}", POWER
            return f"{_wrap(left, p)} {self.symbol} {_wrap(right, p + 1)}", p
        if how == "prefix":
            return f"{self.symbol}{_wrap(operands[0], POWER)}", UNARY
        if how == "power":
            return f"{_wrap(operands[0], ATOM)} ** {_wrap(_const(arg, exact), UNARY)}", POWER
        if how == "rpower":
            return f"{_wrap(_const(arg, exact), ATOM)} ** {_wrap(operands[0], UNARY)}", POWER
        if how == "affine" and not exact:  # b + w0 * x0 + w1 * x1: the weighted sum as a student writes it
            n = (len(operands) - 1) // 2
            terms = [operands[0][0]] + [f"{_wrap(w, PREC_MUL)} * {_wrap(x, PREC_MUL + 1)}"
                                        for w, x in zip(operands[1:n + 1], operands[n + 1:])]
            if max_inputs and len(terms) > max_inputs:
                terms = terms[:max_inputs - 1] + [f"... {len(terms) - max_inputs + 1} more terms"]
            return " + ".join(terms), (PREC_ADD if n else operands[0][1])
        texts = [t for t, _ in operands]
        if max_inputs and len(texts) > max_inputs:
            texts = texts[:max_inputs - 1] + [f"... {len(texts) - max_inputs + 1} more"]
        if self.arity == -1:  # sum([a, b], start=c): the Python call and the parser read the same text
            texts = [f"[{', '.join(texts)}]"]
        if self.param is not None and arg is not None and not (self.arity == -1 and arg == 0.0):
            texts.append(f"{self.param}={_const(arg, exact)[0]}")
        return f"{self.name}({', '.join(texts)})", ATOM

    def explain(self, inputs: Sequence, arg=None, result: float = math.nan, exc: Exception | None = None) -> tuple:
        """Why this op fails (raising ``exc``) or gives ``result`` (nan or inf) at ``inputs``: ``(type, reason)``.

        The one explainer of domain errors: forward error messages and anomaly mode use it. An op without an
        explanation for these inputs keeps ``exc``'s own type and message.
        """
        datas = [float(x) for x in inputs]
        bad = [x for x in datas if not math.isfinite(x)]
        if bad:
            return ValueError, (f"an operand is already {bad[0]!r}: it was a leaf's data or came from an op run "
                                "outside anomaly mode")
        got = self.explainer(*datas, arg) if self.explainer is not None else None
        if got is not None:
            return got
        if exc is not None:
            return type(exc), str(exc)
        if result != result:
            return ValueError, "the op is undefined at these inputs (nan)"
        return OverflowError, f"overflow: the result exceeds {_BIG}"

    def __repr__(self) -> str:
        return f"Op({self.name!r}, arity={self.arity})"

    # An Op is a table entry, referred to by its name: pickling stores the name (its forward and derivatives may be
    # lambdas, which pickle cannot store) and unpickling looks it up with get_op, so a built-in or define_op'd op
    # comes back as the very same entry. Copying gives the entry itself.
    def __reduce__(self) -> tuple:
        if OPS.get(self.name) is not self:
            if self.name in OPS:
                why = ("was replaced in the op table by define_op(..., replace=True) since this graph was built; "
                       "rebuild the graph with the current definition")
            else:
                why = "is not in the op table; create ops with autograd_core.define_op so that they have a name there"
            raise pickle.PicklingError(f"pickle: op {self.name!r} is pickled by its name, but it {why}")
        return get_op, (self.name,)

    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: dict) -> Op:
        return self


OPS: dict[str, Op] = {}


def _check_callables(name: str, forward, derivs) -> None:
    if not callable(forward):
        raise TypeError(f"define_op: forward of op {name!r} must be callable, got {type(forward).__name__}")
    for d in derivs:
        if d is not None and not callable(d):
            raise TypeError(f"define_op: local derivatives of op {name!r} must be callable or None (constant 1), "
                            f"got {type(d).__name__}")


def _register(op: Op) -> Op:
    OPS[op.name] = op
    return op


def get_op(name: str) -> Op:
    """The table entry called ``name``; KeyError listing the known ops otherwise."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r}; known ops: {', '.join(sorted(OPS))}") from None


def find_op(notation: str, symbol: str, arity: int) -> Op:
    """The built-in op written with ``symbol`` in ``notation`` (the parser maps ``a + b`` and ``-a`` here)."""
    for op in OPS.values():
        if op.builtin and op.notation == notation and op.symbol == symbol and op.arity == arity:
            return op
    raise KeyError(f"no {notation} op {symbol!r} of arity {arity}")


def define_op(
    name: str,
    forward: Callable[..., float],
    derivatives: tuple | list | Callable,
    *,
    arity: int | None = None,
    param: str | None = None,
    domains: tuple | None = None,
    param_domain: Domain = REALS,
    sympy: Callable | None = None,
    smooth: bool = True,
    kinks: tuple = (),
    doc: str = "",
    replace: bool = False,
) -> Op:
    """Add a primitive op to the table and return it; apply it with :func:`autograd_core.apply`.

    ``forward(*inputs)`` (or ``forward(*inputs, arg)`` when ``param`` is given) computes the output from floats; it
    must return a real number (an int or numpy scalar becomes a float; a complex or anything else is a TypeError
    naming the op). ``derivatives`` holds one local derivative per input, each called as ``d(*inputs, out)``
    (``d(*inputs, out, arg)`` with a parameter). To support ``gradients(create_graph=True)`` write them with
    arithmetic operators and :mod:`autograd_core`'s dual functions (``autograd_core.cos`` etc.), which work on
    floats and Values alike. A derivative that returns a plain number for Value inputs although its value changes
    with the input (``math.cos(x)``) is detected by ``create_graph=True`` and raises TypeError naming the op;
    piecewise-constant derivatives (``1.0 if x > 0 else 0.0``) are fine. ``kinks`` lists input values where the op
    is not differentiable (gradcheck skips its local check there). Ops take 1 or 2 inputs; the only variadic op is
    the built-in ``sum``.

    Example::

        my_sin = define_op("my_sin", math.sin, [lambda x, out: autograd_core.cos(x)])
        y = autograd_core.apply(my_sin, x)
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"define_op: name must be an identifier such as 'my_sin', got {name!r}")
    if name in OPS and (OPS[name].builtin or not replace):
        kind = "a built-in op" if OPS[name].builtin else "already defined"
        hint = "" if OPS[name].builtin else "; pass replace=True to redefine it"
        raise ValueError(f"define_op: {name!r} is {kind}{hint}")
    if callable(derivatives):
        derivatives = (derivatives,)
    derivatives = tuple(derivatives)
    if arity is None:
        arity = len(derivatives)
    # checked before drop_arg wraps them: the wrapper itself is always callable
    _check_callables(name, forward, derivatives)
    if arity not in (1, 2):
        # apply() has no calling convention for a variadic user op, so it could never be used
        raise ValueError(f"define_op: op {name!r} must take 1 or 2 inputs (one local derivative each), got arity "
                         f"{arity!r}; the only variadic op is the built-in sum (autograd_core.sum)")
    with_param = param is not None
    fwd = _real_result(name, forward if with_param else drop_arg(forward))
    derivs = tuple(d if (with_param or d is None) else drop_arg(d) for d in derivatives)
    sym = sympy if (with_param or sympy is None) else drop_arg(sympy)
    op = Op(name, arity, fwd, derivs, param=param, domains=domains, param_domain=param_domain, sympy=sym,
            smooth=smooth, kinks=tuple(kinks), doc=doc)
    return _register(op)


class drop_arg:
    """Adapts a user function without a parameter to the table's uniform ``(..., arg)`` calling convention: a
    class, not a closure, so graphs through user ops pickle like any other."""
    __slots__ = ("__wrapped__",)

    def __init__(self, f: Callable) -> None:
        self.__wrapped__ = f

    def __call__(self, *args):
        return self.__wrapped__(*args[:-1])


class _real_result:
    # A user forward whose result is checked: a real number becomes a float, anything else names the op.
    __slots__ = ("name", "__wrapped__")

    def __init__(self, name: str, f: Callable) -> None:
        self.name, self.__wrapped__ = name, f

    def __call__(self, *args):
        y = self.__wrapped__(*args)
        if type(y) is float:
            return y
        if isinstance(y, bool) or not isinstance(y, numbers.Real):
            raise TypeError(f"{self.name}: the forward function returned {type(y).__name__} {y!r:.60}, not a real "
                            "number; make it return a float (a complex result has no place in a real-valued graph)")
        return to_float(y, f"{self.name}: the forward function's result")


# Dual-mode helpers: floats go to math, Values (create-graph mode) to their own differentiable methods.
def _exp(x):
    return math.exp(x) if type(x) is float else x.exp()


def _log(x):
    return math.log(x) if type(x) is float else x.log()


def _sin(x):
    return math.sin(x) if type(x) is float else x.sin()


def _cos(x):
    return math.cos(x) if type(x) is float else x.cos()


def _sigmoid(x):
    return _sigmoid_f(x) if type(x) is float else x.sigmoid()


def _scaled_recip(c, x):
    # c / x, but +-inf instead of ZeroDivisionError at x == 0 (the derivative is infinite there)
    if type(x) is float and x == 0.0:
        return math.copysign(_inf, c)
    return c / x


def _nan_or(x, value):
    # piecewise derivatives: nan stays nan (a NaN input must not turn into a finite gradient)
    return value if x == x else x


def _out_log_base(out, base, name: str, variable: str):
    # d/dy base ** y = out * ln(base): 0 where out is 0 (base 0, y > 0); undefined for a negative base or 0 ** 0
    if base > 0:
        return out * _log(base)
    if float(out) == 0.0:
        return 0.0 * out
    b = float(base)
    if b == 0.0:
        raise ZeroDivisionError(f"{name}: the derivative with respect to the exponent {variable} is undefined at base "
                                f"0 and exponent 0 (0 ** y jumps from 1 at y = 0 to 0 for y > 0); move the exponent "
                                "off 0 or the base off 0")
    fix = ("keep the base positive (for example write exp(y * log(x)) with x > 0), or make the exponent a constant "
           "if it need not be learned") if name == "vpow" else \
        "the exponent is the variable here, so use a positive constant base (negate the result if needed)"
    raise ValueError(f"{name}: the derivative with respect to the exponent {variable}, out * ln(base), is undefined "
                     f"for the negative base {b:g} (a real power of a negative base exists only at integer "
                     f"exponents); {fix}")


def _powf(x, c):
    # x ** c on floats, returning inf where the true value is infinite (0 ** negative) instead of raising
    if type(x) is float:
        if x == 0.0 and c < 0:
            return _inf
        return math.pow(x, c)
    return x ** c


def _dpow(x, out, c):
    # c x^(c-1); x ** 0 is the constant 1, so its derivative is exactly 0 (not 0 * x^-1, nan at x = 0)
    return 0.0 if c == 0.0 else c * _powf(x, c - 1.0)


# Forward functions on floats. The piecewise ones test `x <= 0.0` / `x < 0.0` so that nan falls through and stays
# nan, as in PyTorch: relu(nan) is nan, never a silent 0.
def _sigmoid_f(x, arg=None):
    # Two branches so that exp never overflows: sigmoid(-1000) == 0.0 and sigmoid(1000) == 1.0.
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _softplus_f(x, arg=None):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, softplus(1000) == 1000.0
    if x != x:
        return x
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


def _relu_f(x, arg=None):
    return 0.0 if x <= 0.0 else x


def _step_f(x, arg=None):
    return 0.0 if x < 0.0 else _nan_or(x, 1.0)


def _pow_f(x, c):
    if x == 0.0 and c < 0:
        raise ZeroDivisionError("0 ** negative")
    return math.pow(x, c)


def _sum_f(*a):
    # start + x_0 + x_1 + ... left to right; the start constant comes last, as every op's arg does
    s = a[-1]
    for k in range(len(a) - 1):
        s += a[k]
    return s


def _affine_f(*a):
    # b + w0 x0 + w1 x1 + ... left to right, inputs (b, w0..w_{n-1}, x0..x_{n-1}), the arg (None) last
    n = (len(a) - 2) >> 1
    s = 0.0 + a[0]
    for k in range(1, n + 1):
        s += a[k] * a[k + n]
    return s


def _affine_d(inputs, out, arg):
    # d/db = 1, d/dw_k = x_k, d/dx_k = w_k: the inputs themselves, swapped (Values in create-graph mode)
    n = (len(inputs) - 1) >> 1
    return (1.0,) + tuple(inputs[n + 1:]) + tuple(inputs[1:n + 1])


def _affine_interval(op, ivs, arg):
    n = (len(ivs) - 1) >> 1
    lo, hi = ivs[0]
    for w, x in zip(ivs[1:n + 1], ivs[n + 1:]):
        corners = [a * b for a in w for b in x]
        lo, hi = lo + min(corners), hi + max(corners)
    return lo, hi


# Domain explainers: (exception type, reason) for inputs on which the op fails or gives nan/inf.
def _explain_log(x, arg):
    return (ValueError, "argument must be > 0") if not x > 0 else None


def _explain_sqrt(x, arg):
    return (ValueError, "argument must be >= 0") if x < 0 else None


def _explain_div(x, y, arg):
    return (ZeroDivisionError, "division by zero") if y == 0 else None


def _explain_power(base, c):
    if base == 0 and c < 0:
        return ZeroDivisionError, f"0 cannot be raised to a negative power ({c:g})"
    if base < 0 and c != int(c):
        return ValueError, f"a negative base cannot be raised to a non-integer power ({c:g}); the result is complex"
    return OverflowError, f"overflow: the result exceeds {_BIG}"


def _explain_exp(x, arg):
    return OverflowError, f"result too large for a float (overflow): exp({x:g}) > 1.8e308; inputs above 709.78 overflow"


# Interval rules for the strategies: a guaranteed output range from the inputs' ranges.
def _monotone(op, ivs, arg):
    # exact for functions monotone in each argument on a box: the extremes are at its corners
    if len(ivs) == 1:
        outs = [op.forward(ivs[0][0], arg), op.forward(ivs[0][1], arg)]
    else:
        outs = [op.forward(a, b, arg) for a in ivs[0] for b in ivs[1]]
    return min(outs), max(outs)


def _periodic(phase: float):
    # sin/cos: the endpoints plus every extremum (at phase + k pi) inside the interval
    def interval(op, ivs, arg):
        lo, hi = ivs[0]
        if hi - lo >= 2 * math.pi:
            return -1.0, 1.0
        outs = [op.forward(lo, arg), op.forward(hi, arg)]
        k = math.ceil((lo - phase) / math.pi)
        while phase + k * math.pi <= hi:
            outs.append(op.forward(phase + k * math.pi, arg))
            k += 1
        return max(min(outs), -1.0), min(max(outs), 1.0)

    return interval


def _abs_interval(op, ivs, arg):
    lo, hi = ivs[0]
    if lo >= 0:
        return lo, hi
    return (-hi, -lo) if hi <= 0 else (0.0, max(-lo, hi))


def _sum_interval(op, ivs, arg):
    return math.fsum([iv[0] for iv in ivs]) + arg, math.fsum([iv[1] for iv in ivs]) + arg


def _sym(name):
    def build(*args):
        import sympy

        return getattr(sympy, name)(*args[:-1])

    return build


def _sym_piecewise(right, left, at_zero_right: bool = False):
    # x > 0 (or x >= 0) -> right(x, arg), else left(x, arg)
    def build(x, arg):
        import sympy

        c = None if arg is None else sympy.nsimplify(arg)
        return sympy.Piecewise((right(x, c), x >= 0 if at_zero_right else x > 0), (left(x, c, sympy), True))

    return build


def _sym_with(f):
    def build(*args):
        import sympy

        return f(sympy, *args)

    return build


POSITIVE = Domain(0.0, _inf)
_ONE_NEG = lambda *a: -1.0  # noqa: E731

# ---------------------------------------------------------------------------------------------------------------
# THE TABLE. One entry per primitive; its derivatives are d(*inputs, out, arg).
# ---------------------------------------------------------------------------------------------------------------
ADD = _register(Op("add", 2, lambda x, y, a=None: x + y, (None, None), symbol="+", notation="infix",
                   interval=_monotone, sympy=lambda x, y, a: x + y, doc="x + y", builtin=True))
SUB = _register(Op("sub", 2, lambda x, y, a=None: x - y, (None, _ONE_NEG), symbol="-", notation="infix",
                   interval=_monotone, sympy=lambda x, y, a: x - y, doc="x - y", builtin=True))
MUL = _register(Op("mul", 2, lambda x, y, a=None: x * y, (lambda x, y, out, a: y, lambda x, y, out, a: x),
                   symbol="*", notation="infix", interval=_monotone, sympy=lambda x, y, a: x * y, doc="x * y",
                   builtin=True))
DIV = _register(Op("div", 2, lambda x, y, a=None: x / y,
                   (lambda x, y, out, a: 1.0 / y, lambda x, y, out, a: -out / y),
                   domains=(REALS, Domain(0.0, _inf)), explainer=_explain_div, symbol="/", notation="infix",
                   interval=_monotone, sympy=lambda x, y, a: x / y, doc="x / y; d/dx = 1/y, d/dy = -out/y",
                   builtin=True))
VPOW = _register(Op("vpow", 2, lambda x, y, a=None: _pow_f(x, y),
                    (lambda x, y, out, a: y * _powf(x, y - 1.0),
                     lambda x, y, out, a: _out_log_base(out, x, "vpow", "y")),
                    domains=(POSITIVE, Domain(-3.0, 3.0)), explainer=lambda x, y, a: _explain_power(x, y),
                    symbol="**", notation="infix", exponent=1, interval=_monotone, sympy=lambda x, y, a: x ** y,
                    doc="x ** y with a Value exponent; d/dx = y x^(y-1), d/dy = out log x", builtin=True))
SUM = _register(Op("sum", -1, _sum_f, (None,), param="start", param_domain=Domain(-10.0, 10.0),
                   interval=_sum_interval, sympy=_sym_with(lambda sp, *a: sp.Add(a[-1], *a[:-1])),
                   doc="start + x_0 + x_1 + ... (left to right); every local derivative is 1", builtin=True))
AFFINE = _register(Op("affine", -1, _affine_f, (_affine_d,), notation="affine", counts=(1, 2),
                      interval=_affine_interval,
                      sympy=_sym_with(lambda sp, *a: a[0] + sp.Add(*[a[1 + k] * a[1 + (len(a) - 2) // 2 + k]
                                                                     for k in range((len(a) - 2) // 2)])),
                      doc="b + w_0 x_0 + w_1 x_1 + ... (a neuron's weighted sum, one node; inputs b, w..., x...); "
                          "d/db = 1, d/dw_k = x_k, d/dx_k = w_k", builtin=True))
NEG = _register(Op("neg", 1, lambda x, a=None: -x, (_ONE_NEG,), symbol="-", notation="prefix", interval=_monotone,
                   sympy=lambda x, a: -x, doc="-x", builtin=True))
ABS = _register(Op("abs", 1, lambda x, a=None: abs(x),
                   (lambda x, out, a: 1.0 if x > 0 else (-1.0 if x < 0 else _nan_or(x, 0.0)),),
                   interval=_abs_interval, sympy=_sym("Abs"), smooth=False, kinks=(0.0,),
                   doc="|x|; derivative sign(x), 0 at 0", builtin=True))
POW = _register(Op("pow", 1, _pow_f, (_dpow,), param="exponent", domains=(POSITIVE,),
                   param_domain=Domain(-3.0, 3.0), explainer=_explain_power, symbol="**", notation="power",
                   exponent="param", interval=_monotone, sympy=_sym_with(lambda sp, x, c: x ** sp.nsimplify(c)),
                   doc="x ** c for a constant c; derivative c x^(c-1)", builtin=True))
RPOW = _register(Op("rpow", 1, lambda x, b: _pow_f(b, x), (lambda x, out, b: _out_log_base(out, b, "rpow", "x"),),
                    param="base", domains=(Domain(-5.0, 5.0),), param_domain=Domain(0.0, 10.0),
                    explainer=lambda x, b: _explain_power(b, x), symbol="**", notation="rpower", exponent=0,
                    interval=_monotone, sympy=_sym_with(lambda sp, x, b: sp.nsimplify(b) ** x),
                    doc="b ** x for a constant base b > 0; derivative out log b", builtin=True))
EXP = _register(Op("exp", 1, lambda x, a=None: math.exp(x), (lambda x, out, a: out,), domains=(Domain(-50, 50),),
                   explainer=_explain_exp, interval=_monotone, sympy=_sym("exp"),
                   doc="e^x; derivative e^x (the output)", builtin=True))
LOG = _register(Op("log", 1, lambda x, a=None: math.log(x), (lambda x, out, a: _scaled_recip(1.0, x),),
                   domains=(POSITIVE,), explainer=_explain_log, interval=_monotone, sympy=_sym("log"),
                   doc="ln x; derivative 1/x", builtin=True))
SQRT = _register(Op("sqrt", 1, lambda x, a=None: math.sqrt(x), (lambda x, out, a: _scaled_recip(0.5, out),),
                    domains=(POSITIVE,), explainer=_explain_sqrt, interval=_monotone, sympy=_sym("sqrt"),
                    doc="sqrt(x); derivative 1 / (2 sqrt(x))", builtin=True))
TANH = _register(Op("tanh", 1, lambda x, a=None: math.tanh(x), (lambda x, out, a: 1.0 - out * out,),
                    interval=_monotone, sympy=_sym("tanh"),
                    doc="tanh x; derivative 1 - tanh(x)^2 (from the output)", builtin=True))
SIGMOID = _register(Op("sigmoid", 1, _sigmoid_f, (lambda x, out, a: out * (1.0 - out),), interval=_monotone,
                       sympy=_sym_with(lambda sp, x, a: 1 / (1 + sp.exp(-x))),
                       doc="1 / (1 + e^-x); derivative s (1 - s) (from the output)", builtin=True))
RELU = _register(Op("relu", 1, _relu_f, (lambda x, out, a: 1.0 if x > 0 else _nan_or(x, 0.0),), interval=_monotone,
                    sympy=_sym_piecewise(lambda x, c: x, lambda x, c, sp: 0), smooth=False, kinks=(0.0,),
                    doc="max(0, x); derivative 1 for x > 0, else 0 (0 at x = 0); nan stays nan", builtin=True))
LEAKY_RELU = _register(Op("leaky_relu", 1, lambda x, s: x if x > 0.0 else s * x,
                          (lambda x, out, s: 1.0 if x > 0 else _nan_or(x, s),), param="slope",
                          param_domain=Domain(0.0, 1.0), interval=_monotone,
                          sympy=_sym_piecewise(lambda x, c: x, lambda x, c, sp: c * x), smooth=False, kinks=(0.0,),
                          doc="x for x > 0 else slope x; derivative 1 or slope (slope at 0)", builtin=True))
SOFTPLUS = _register(Op("softplus", 1, _softplus_f, (lambda x, out, a: _sigmoid(x),), interval=_monotone,
                        sympy=_sym_with(lambda sp, x, a: sp.log(1 + sp.exp(x))),
                        doc="ln(1 + e^x); derivative sigmoid(x)", builtin=True))
ELU = _register(Op("elu", 1, lambda x, al: x if x > 0.0 else al * math.expm1(x),
                   (lambda x, out, al: 1.0 if x > 0 else out + al,), param="alpha", param_domain=Domain(0.0, 3.0),
                   interval=_monotone, sympy=_sym_piecewise(lambda x, c: x, lambda x, c, sp: c * (sp.exp(x) - 1)),
                   smooth=False, kinks=(0.0,),
                   doc="x for x > 0 else alpha (e^x - 1); derivative 1 or alpha e^x (= out + alpha)", builtin=True))
SIN = _register(Op("sin", 1, lambda x, a=None: math.sin(x), (lambda x, out, a: _cos(x),),
                   interval=_periodic(math.pi / 2), sympy=_sym("sin"), doc="sin x; derivative cos x", builtin=True))
COS = _register(Op("cos", 1, lambda x, a=None: math.cos(x), (lambda x, out, a: -_sin(x),), interval=_periodic(0.0),
                   sympy=_sym("cos"), doc="cos x; derivative -sin x", builtin=True))
STEP = _register(Op("step", 1, _step_f, (lambda x, out, a: _nan_or(x, 0.0),), interval=_monotone,
                    sympy=_sym_piecewise(lambda x, c: 1, lambda x, c, sp: 0, at_zero_right=True), smooth=False,
                    kinks=(0.0,), doc="binary step: 0 for x < 0 else 1; derivative 0; nan stays nan", builtin=True))


# ---------------------------------------------------------------------------------------------------------------
# Code generation for autograd_core.compile: per op, a Python expression of its forward and of each local
# derivative (the same float operations as the functions above, so a compiled replay is bit-identical to graph
# mode), and a numpy form over the inputs of K nodes at once (the columns of M, K x n).
# ---------------------------------------------------------------------------------------------------------------
PY_ENV = {"math_exp": math.exp, "math_log": math.log, "math_sqrt": math.sqrt, "math_tanh": math.tanh,
          "math_sin": math.sin, "math_cos": math.cos, "math_expm1": math.expm1, "inf": _inf, "nan": math.nan,
          "_pow_f": _pow_f, "_powf": _powf, "_dpow": _dpow, "_out_log_base": _out_log_base, "_nan_or": _nan_or,
          "_scaled_recip": _scaled_recip, "_sigmoid_f": _sigmoid_f, "_softplus_f": _softplus_f, "_step_f": _step_f}
"""The names generated code may use besides its variables (compile's Python backend runs it with these globals)."""


def exec_generated(source: str, where: str, env: dict) -> dict:
    """Run source generated from the table's templates with ``env`` as its globals; returns the names it defines.

    The source is registered with :mod:`linecache` under ``<autograd_core generated: where>``, so tracebacks and
    ``inspect.getsource`` show the generated lines (the operators, backward's float loop).
    """
    filename = f"<autograd_core generated: {where}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope: dict = {}
    exec(compile(source, filename, "exec"), env, scope)  # noqa: S102 - code generated from the op table
    return scope


def literal(c) -> str:
    """A float constant as Python source that evaluates to the very same float (``inf`` and ``nan`` by name)."""
    c = float(c)
    return repr(c) if math.isfinite(c) else ("nan" if c != c else ("inf" if c > 0 else "-inf"))


def _arg_source(arg) -> str:
    # a number is written as a literal; a str is already source (a variable holding the node's arg)
    return arg if isinstance(arg, str) else ("None" if arg is None else literal(arg))


def _py(forward, *derivs):
    # (forward(xs, arg) -> str, derivs(xs, out, arg) -> tuple): templates with {x}, {y}, {out}, {a} for 1-2 inputs
    def fwd(xs, arg):
        return forward.format(*xs, x=xs[0], y=xs[-1], a=_arg_source(arg))

    def der(xs, out, arg):
        a = _arg_source(arg)
        return tuple(None if d is None else d.format(*xs, x=xs[0], y=xs[-1], out=out, a=a) for d in derivs)

    return fwd, der


def _py_sum(xs, arg):
    return " + ".join([literal(arg), *xs])  # start + x_0 + x_1 + ... left to right, as _sum_f


def _py_affine(xs, arg):
    n = (len(xs) - 1) >> 1
    return " + ".join(["0.0", xs[0]] + [f"{xs[k]} * {xs[k + n]}" for k in range(1, n + 1)])


def _py_affine_d(xs, out, arg):
    n = (len(xs) - 1) >> 1
    return (None, *xs[n + 1:], *xs[1:n + 1])


def _np_affine(np, M, arg):
    n = (M.shape[1] - 1) >> 1
    return M[:, 0] + (M[:, 1:n + 1] * M[:, n + 1:]).sum(axis=1)


def _np_affine_d(np, M, out, arg):
    n = (M.shape[1] - 1) >> 1
    return np.concatenate([np.ones((M.shape[0], 1)), M[:, n + 1:], M[:, 1:n + 1]], axis=1)


def _np_sigmoid(np, M, arg):
    x = M[:, 0]
    e = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_dpow(np, M, out, c):
    return np.zeros_like(M) if c == 0.0 else c * np.power(M, c - 1.0)


ADD.py, ADD.np = _py("{x} + {y}", None, None), (lambda np, M, a: M[:, 0] + M[:, 1], lambda np, M, out, a: None)
SUB.py = _py("{x} - {y}", None, "-1.0")
SUB.np = (lambda np, M, a: M[:, 0] - M[:, 1], lambda np, M, out, a: np.array([[1.0, -1.0]]))
MUL.py = _py("{x} * {y}", "{y}", "{x}")
MUL.np = (lambda np, M, a: M[:, 0] * M[:, 1], lambda np, M, out, a: M[:, ::-1])
DIV.py = _py("{x} / {y}", "1.0 / {y}", "-{out} / {y}")
DIV.np = (lambda np, M, a: M[:, 0] / M[:, 1],
          lambda np, M, out, a: np.stack([1.0 / M[:, 1], -out / M[:, 1]], axis=1))
VPOW.py = _py("_pow_f({x}, {y})", "{y} * _powf({x}, {y} - 1.0)", '_out_log_base({out}, {x}, "vpow", "y")')
SUM.py, SUM.np = (_py_sum, lambda xs, out, a: (None,) * len(xs)), (lambda np, M, a: a + M.sum(axis=1),
                                                                   lambda np, M, out, a: None)
AFFINE.py, AFFINE.np = (_py_affine, _py_affine_d), (_np_affine, _np_affine_d)


def _nb_affine_d(x, out, arg, d):
    # _affine_d into the sequence d (compile's numba backend): d/db = 1, d/dw_k = x_k, d/dx_k = w_k
    n = (len(x) - 1) >> 1
    d[0] = 1.0
    for k in range(1, n + 1):
        d[k] = x[k + n]
        d[k + n] = x[k]


AFFINE.nb = _nb_affine_d
NEG.py, NEG.np = _py("-{x}", "-1.0"), (lambda np, M, a: -M[:, 0], lambda np, M, out, a: np.array([[-1.0]]))
ABS.py = _py("abs({x})", "(1.0 if {x} > 0 else (-1.0 if {x} < 0 else _nan_or({x}, 0.0)))")
POW.py = _py("_pow_f({x}, {a})", "_dpow({x}, {out}, {a})")
POW.np = (lambda np, M, c: np.power(M[:, 0], c), _np_dpow)
RPOW.py = _py("_pow_f({a}, {x})", '_out_log_base({out}, {a}, "rpow", "x")')
EXP.py, EXP.np = _py("math_exp({x})", "{out}"), (lambda np, M, a: np.exp(M[:, 0]), lambda np, M, out, a: out[:, None])
LOG.py = _py("math_log({x})", "_scaled_recip(1.0, {x})")
LOG.np = (lambda np, M, a: np.log(M[:, 0]), lambda np, M, out, a: 1.0 / M)
SQRT.py = _py("math_sqrt({x})", "_scaled_recip(0.5, {out})")
SQRT.np = (lambda np, M, a: np.sqrt(M[:, 0]), lambda np, M, out, a: 0.5 / out[:, None])
TANH.py = _py("math_tanh({x})", "1.0 - {out} * {out}")
TANH.np = (lambda np, M, a: np.tanh(M[:, 0]), lambda np, M, out, a: (1.0 - out * out)[:, None])
SIGMOID.py = _py("_sigmoid_f({x})", "{out} * (1.0 - {out})")
SIGMOID.np = (_np_sigmoid, lambda np, M, out, a: (out * (1.0 - out))[:, None])
RELU.py = _py("(0.0 if {x} <= 0.0 else {x})", "(1.0 if {x} > 0 else (0.0 if {x} == {x} else {x}))")
RELU.np = (lambda np, M, a: np.where(M[:, 0] <= 0.0, 0.0, M[:, 0]),
           lambda np, M, out, a: np.where(M > 0.0, 1.0, np.where(M == M, 0.0, M)))
LEAKY_RELU.py = _py("({x} if {x} > 0.0 else {a} * {x})", "(1.0 if {x} > 0 else _nan_or({x}, {a}))")
SOFTPLUS.py = _py("_softplus_f({x})", "_sigmoid_f({x})")
ELU.py = _py("({x} if {x} > 0.0 else {a} * math_expm1({x}))", "(1.0 if {x} > 0 else {out} + {a})")
SIN.py = _py("math_sin({x})", "math_cos({x})")
SIN.np = (lambda np, M, a: np.sin(M[:, 0]), lambda np, M, out, a: np.cos(M))
COS.py = _py("math_cos({x})", "-math_sin({x})")
COS.np = (lambda np, M, a: np.cos(M[:, 0]), lambda np, M, out, a: -np.sin(M))
STEP.py = _py("_step_f({x})", "_nan_or({x}, 0.0)")
