"""The table of primitive operations: the single source of every forward rule and local derivative.

Each primitive is one :class:`Op` entry: its name, its arity, a forward function on floats, and one local derivative
per input. A local derivative is called as ``d(*inputs, out, arg)`` and may reuse the output ``out`` (``exp``,
``tanh``, ``sigmoid``). The same derivative functions serve two modes:

* plain backward: ``inputs`` and ``out`` are floats and the derivative returns a float;
* ``gradients(create_graph=True)``: ``inputs`` and ``out`` are :class:`~autograd_core.Value` nodes, and the
  derivative builds a differentiable graph. That is why derivatives are written with arithmetic operators and the
  dual-mode helpers below (``_cos``, ``_sigmoid``, ...), never with ``math`` directly.

``Value``'s operators and methods are thin dispatchers into this table, and the tests iterate over it, so a new entry
is tested automatically. :func:`define_op` adds user-defined primitives to the same table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Op", "Domain", "OPS", "define_op", "get_op"]

_inf = math.inf


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


class Op:
    """One primitive operation.

    Attributes:
        name: the op's name, as shown in ``Value.op``, in rendered graphs and in error messages.
        arity: number of Value inputs; ``-1`` for a variadic op (``sum``).
        forward: ``forward(*inputs, arg) -> float`` on floats.
        derivs: one local derivative per input, ``d(*inputs, out, arg)``; a variadic op has a single one, called as
            ``d(index, inputs, out, arg)``. ``None`` marks a constant derivative of 1 (``add``, ``sum``), which
            backward applies without a call.
        param: name of the op's constant parameter (``exponent`` for ``pow``), or ``None``.
        domains: per input, the :class:`Domain` on which forward and derivatives are defined (used by tests and
            strategies; the forward function itself raises on inputs outside it).
        param_domain: the parameter's :class:`Domain` for tests and strategies.
        check: optional ``check(*inputs, arg) -> (ExceptionType, reason) | None``: explains a domain error in words.
        symbol: infix symbol for source text (``+``), or ``None`` for function-call notation.
        sympy: optional ``sympy(*symbols, arg)`` giving the op as a sympy expression, for exact-derivative tests.
        smooth: False for ops with kinks or jumps (relu, abs, step): tests avoid drawing inputs near them.
        kinks: input values at which the op is not differentiable (0.0 for relu): gradcheck skips its local check
            of an op whose input lies within eps of one, where the derivative is only a convention.
        doc: one line, with the formula.
    """

    __slots__ = (
        "name", "arity", "forward", "derivs", "param", "domains", "param_domain", "check", "symbol", "sympy",
        "smooth", "kinks", "doc", "builtin",
    )

    def __init__(
        self,
        name: str,
        arity: int,
        forward: Callable[..., float],
        derivs: tuple,
        *,
        param: str | None = None,
        domains: tuple | None = None,
        param_domain: Domain = REALS,
        check: Callable | None = None,
        symbol: str | None = None,
        sympy: Callable | None = None,
        smooth: bool = True,
        kinks: tuple = (),
        doc: str = "",
        builtin: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"define_op: name must be an identifier such as 'my_sin', got {name!r}")
        if arity not in (-1, 1, 2):
            raise ValueError(f"define_op: arity must be 1, 2 or -1 (variadic), got {arity!r} for op {name!r}")
        n = 1 if arity == -1 else arity
        if not isinstance(derivs, tuple) or len(derivs) != n:
            raise ValueError(f"define_op: op {name!r} has arity {arity} and needs {n} local derivative(s), "
                             f"got {derivs!r}")
        _check_callables(name, forward, derivs)
        self.name = name
        self.arity = arity
        self.forward = forward
        self.derivs = derivs
        self.param = param
        self.domains = domains if domains is not None else (REALS,) * n
        self.param_domain = param_domain
        self.check = check
        self.symbol = symbol
        self.sympy = sympy
        self.smooth = smooth
        self.kinks = kinks
        self.doc = doc
        self.builtin = builtin

    def local_derivatives(self, inputs: tuple, out, arg=None) -> tuple:
        """Local derivatives d out / d input_i for every input (floats, or Values in create-graph mode)."""
        if self.arity == -1:
            d = self.derivs[0]
            return tuple(1.0 if d is None else d(i, inputs, out, arg) for i in range(len(inputs)))
        return tuple(1.0 if d is None else d(*inputs, out, arg) for d in self.derivs)

    def __repr__(self) -> str:
        return f"Op({self.name!r}, arity={self.arity})"


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

    ``forward(*inputs)`` (or ``forward(*inputs, arg)`` when ``param`` is given) computes the output from floats.
    ``derivatives`` holds one local derivative per input, each called as ``d(*inputs, out)`` (``d(*inputs, out,
    arg)`` with a parameter). To support ``gradients(create_graph=True)`` write them with arithmetic operators and
    :mod:`autograd_core`'s dual functions (``autograd_core.cos`` etc.), which work on floats and Values alike.
    A derivative that returns a plain number when given Values (``math.cos(x)`` silently converts a Value to a
    float) counts as a constant under ``create_graph=True``, so second derivatives through the op come out wrong;
    :func:`autograd_core.gradgradcheck` finds such an op and names it. ``kinks`` lists input values where the op
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
    # checked before _drop_arg wraps them: the wrapper itself is always callable
    _check_callables(name, forward, derivatives)
    if arity not in (1, 2):
        # apply() has no calling convention for a variadic user op, so it could never be used
        raise ValueError(f"define_op: op {name!r} must take 1 or 2 inputs (one local derivative each), got arity "
                         f"{arity!r}; the only variadic op is the built-in sum (autograd_core.sum)")
    with_param = param is not None
    fwd = forward if with_param else _drop_arg(forward)
    derivs = tuple(d if (with_param or d is None) else _drop_arg(d) for d in derivatives)
    sym = sympy if (with_param or sympy is None) else _drop_arg(sympy)
    op = Op(name, arity, fwd, derivs, param=param, domains=domains, param_domain=param_domain, sympy=sym,
            smooth=smooth, kinks=tuple(kinks), doc=doc)
    return _register(op)


def _drop_arg(f: Callable) -> Callable:
    # Adapts a user function without a parameter to the table's uniform (..., arg) calling convention.
    def adapted(*args):
        return f(*args[:-1])

    adapted.__name__ = getattr(f, "__name__", "adapted")
    adapted.__wrapped__ = f
    return adapted


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


def _out_log_base(out, base):
    # d/dy base ** y = out * ln(base); 0 where out is 0 (base 0), undefined for a negative base
    if base > 0:
        return out * _log(base)
    if float(out) == 0.0:
        return 0.0 * out
    raise ValueError(f"pow: the derivative with respect to the exponent is undefined for a negative base "
                     f"({float(base):g}); keep the base positive or make the exponent a constant")


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


# Forward functions on floats.
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


def _tanh_f(x, arg=None):
    return math.tanh(x)


def _relu_f(x, arg=None):
    return x if x > 0.0 else 0.0


def _step_f(x, arg=None):
    return 1.0 if x >= 0.0 else 0.0


def _leaky_f(x, slope):
    return x if x > 0.0 else slope * x


def _elu_f(x, alpha):
    return x if x > 0.0 else alpha * math.expm1(x)


def _pow_f(x, c):
    if x == 0.0 and c < 0:
        raise ZeroDivisionError("0 ** negative")
    return math.pow(x, c)


def _sum_f(xs, start):
    s = start
    for x in xs:
        s += x
    return s


# Domain explanations: (exception type, reason) for inputs on which forward fails.
def _check_log(x, arg):
    return (ValueError, "argument must be > 0") if not x > 0 else None


def _check_sqrt(x, arg):
    return (ValueError, "argument must be >= 0") if x < 0 else None


def _check_div(x, y, arg):
    return (ZeroDivisionError, "division by zero") if y == 0 else None


def _check_pow(x, c):
    if x == 0 and c < 0:
        return ZeroDivisionError, f"0 cannot be raised to a negative power ({c:g})"
    if x < 0 and c != int(c):
        return ValueError, f"a negative base cannot be raised to a non-integer power ({c:g}); the result is complex"
    return OverflowError, "result too large for a float (overflow)"


def _check_vpow(x, y, arg):
    return _check_pow(x, y)


def _check_rpow(x, base):
    return _check_pow(base, x)


def _check_exp(x, arg):
    return OverflowError, f"result too large for a float (overflow): exp({x:g}) > 1.8e308; inputs above 709.78 overflow"


def _sym(name):
    def build(*args):
        import sympy

        return getattr(sympy, name)(*args[:-1])

    return build


def _sym_sigmoid(x, arg):
    import sympy

    return 1 / (1 + sympy.exp(-x))


def _sym_softplus(x, arg):
    import sympy

    return sympy.log(1 + sympy.exp(x))


def _sym_pow(x, c):
    import sympy

    return x ** sympy.nsimplify(c)


def _sym_rpow(x, base):
    import sympy

    return sympy.nsimplify(base) ** x


def _sym_elu(x, alpha):
    import sympy

    return sympy.Piecewise((x, x > 0), (sympy.nsimplify(alpha) * (sympy.exp(x) - 1), True))


def _sym_leaky(x, slope):
    import sympy

    return sympy.Piecewise((x, x > 0), (sympy.nsimplify(slope) * x, True))


def _sym_relu(x, arg):
    import sympy

    return sympy.Piecewise((x, x > 0), (0, True))


def _sym_step(x, arg):
    import sympy

    return sympy.Piecewise((1, x >= 0), (0, True))


POSITIVE = Domain(0.0, _inf)
NONZERO_LO = Domain(-_inf, _inf)

# ---------------------------------------------------------------------------------------------------------------
# THE TABLE. One line of derivatives per primitive: d(*inputs, out, arg).
# ---------------------------------------------------------------------------------------------------------------
ADD = _register(Op("add", 2, lambda x, y, a=None: x + y, (None, None), symbol="+",
                   sympy=lambda x, y, a: x + y, doc="x + y", builtin=True))
SUB = _register(Op("sub", 2, lambda x, y, a=None: x - y, (None, lambda x, y, out, a: -1.0), symbol="-",
                   sympy=lambda x, y, a: x - y, doc="x - y", builtin=True))
MUL = _register(Op("mul", 2, lambda x, y, a=None: x * y, (lambda x, y, out, a: y, lambda x, y, out, a: x),
                   symbol="*", sympy=lambda x, y, a: x * y, doc="x * y", builtin=True))
DIV = _register(Op("div", 2, lambda x, y, a=None: x / y,
                   (lambda x, y, out, a: 1.0 / y, lambda x, y, out, a: -out / y),
                   domains=(REALS, Domain(0.0, _inf)), check=_check_div, symbol="/",
                   sympy=lambda x, y, a: x / y, doc="x / y; d/dx = 1/y, d/dy = -out/y", builtin=True))
VPOW = _register(Op("vpow", 2, lambda x, y, a=None: _pow_f(x, y),
                    (lambda x, y, out, a: y * _powf(x, y - 1.0),
                     lambda x, y, out, a: _out_log_base(out, x)),
                    domains=(POSITIVE, Domain(-3.0, 3.0)), check=_check_vpow, symbol="**",
                    sympy=lambda x, y, a: x ** y,
                    doc="x ** y with a Value exponent; d/dx = y x^(y-1), d/dy = out log x",
                    builtin=True))
SUM = _register(Op("sum", -1, _sum_f, (None,), param="start", param_domain=Domain(-10.0, 10.0),
                   doc="start + x_0 + x_1 + ... (left to right); every local derivative is 1", builtin=True))

NEG = _register(Op("neg", 1, lambda x, a=None: -x, (lambda x, out, a: -1.0,), symbol="-",
                   sympy=lambda x, a: -x, doc="-x", builtin=True))
ABS = _register(Op("abs", 1, lambda x, a=None: abs(x),
                   (lambda x, out, a: 1.0 if x > 0 else (-1.0 if x < 0 else 0.0),),
                   sympy=_sym("Abs"), smooth=False, kinks=(0.0,), doc="|x|; derivative sign(x), 0 at 0",
                   builtin=True))
POW = _register(Op("pow", 1, _pow_f, (_dpow,), param="exponent",
                   domains=(POSITIVE,), param_domain=Domain(-3.0, 3.0), check=_check_pow, symbol="**",
                   sympy=_sym_pow, doc="x ** c for a constant c; derivative c x^(c-1)", builtin=True))
RPOW = _register(Op("rpow", 1, lambda x, b: _pow_f(b, x), (lambda x, out, b: _out_log_base(out, b),), param="base",
                    domains=(Domain(-5.0, 5.0),), param_domain=Domain(0.0, 10.0), check=_check_rpow,
                    sympy=_sym_rpow, doc="b ** x for a constant base b > 0; derivative out log b", builtin=True))
EXP = _register(Op("exp", 1, lambda x, a=None: math.exp(x), (lambda x, out, a: out,), domains=(Domain(-50, 50),),
                   check=_check_exp, sympy=_sym("exp"), doc="e^x; derivative e^x (the output)", builtin=True))
LOG = _register(Op("log", 1, lambda x, a=None: math.log(x), (lambda x, out, a: _scaled_recip(1.0, x),),
                   domains=(POSITIVE,), check=_check_log, sympy=_sym("log"), doc="ln x; derivative 1/x",
                   builtin=True))
SQRT = _register(Op("sqrt", 1, lambda x, a=None: math.sqrt(x), (lambda x, out, a: _scaled_recip(0.5, out),),
                    domains=(POSITIVE,), check=_check_sqrt, sympy=_sym("sqrt"),
                    doc="sqrt(x); derivative 1 / (2 sqrt(x))", builtin=True))
TANH = _register(Op("tanh", 1, _tanh_f, (lambda x, out, a: 1.0 - out * out,), sympy=_sym("tanh"),
                    doc="tanh x; derivative 1 - tanh(x)^2 (from the output)", builtin=True))
SIGMOID = _register(Op("sigmoid", 1, _sigmoid_f, (lambda x, out, a: out * (1.0 - out),), sympy=_sym_sigmoid,
                       doc="1 / (1 + e^-x); derivative s (1 - s) (from the output)", builtin=True))
RELU = _register(Op("relu", 1, _relu_f, (lambda x, out, a: 1.0 if x > 0 else 0.0,), sympy=_sym_relu,
                    smooth=False, kinks=(0.0,), doc="max(0, x); derivative 1 for x > 0, else 0 (0 at x = 0)",
                    builtin=True))
LEAKY_RELU = _register(Op("leaky_relu", 1, _leaky_f, (lambda x, out, s: 1.0 if x > 0 else s,), param="slope",
                          param_domain=Domain(0.0, 1.0), sympy=_sym_leaky, smooth=False, kinks=(0.0,),
                          doc="x for x > 0 else slope x; derivative 1 or slope (slope at 0)", builtin=True))
SOFTPLUS = _register(Op("softplus", 1, _softplus_f, (lambda x, out, a: _sigmoid(x),), sympy=_sym_softplus,
                        doc="ln(1 + e^x); derivative sigmoid(x)", builtin=True))
ELU = _register(Op("elu", 1, _elu_f, (lambda x, out, al: 1.0 if x > 0 else out + al,), param="alpha",
                   param_domain=Domain(0.0, 3.0), sympy=_sym_elu, smooth=False, kinks=(0.0,),
                   doc="x for x > 0 else alpha (e^x - 1); derivative 1 or alpha e^x (= out + alpha)", builtin=True))
SIN = _register(Op("sin", 1, lambda x, a=None: math.sin(x), (lambda x, out, a: _cos(x),), sympy=_sym("sin"),
                   doc="sin x; derivative cos x", builtin=True))
COS = _register(Op("cos", 1, lambda x, a=None: math.cos(x), (lambda x, out, a: -_sin(x),), sympy=_sym("cos"),
                   doc="cos x; derivative -sin x", builtin=True))
STEP = _register(Op("step", 1, _step_f, (lambda x, out, a: 0.0,), sympy=_sym_step, smooth=False, kinks=(0.0,),
                    doc="binary step: 0 for x < 0 else 1; derivative 0", builtin=True))
