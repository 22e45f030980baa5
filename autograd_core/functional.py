"""The functional API: derivatives of plain Python functions, in the style of JAX and HIPS autograd.

``f`` takes numbers and builds its result from them with Value arithmetic; each function here turns the chosen
arguments (``argnums``) into leaf Values, calls ``f`` once, and differentiates the result with
:func:`autograd_core.gradients`:

* :func:`grad` and :func:`value_and_grad` for a scalar ``f`` (one Value out): the gradient ∇f = (∂f/∂x_j);
* :func:`jacobian` for a vector ``f`` (a list of Values out): J[i][j] = ∂f_i/∂x_j, one row per output;
* :func:`hessian` for a scalar ``f``, by double backward: H[i][j] = ∂²f/∂x_i∂x_j.

Arguments not in ``argnums`` (and keyword arguments) are passed to ``f`` unchanged.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Sequence
from typing import Union

from .graph import gradients
from .ops import to_float
from .value import Value

__all__ = ["grad", "value_and_grad", "jacobian", "hessian"]

Argnums = Union[int, Sequence[int], None]


def _check_f(where: str, f: object) -> None:
    if not callable(f):
        raise TypeError(f"{where}: f must be a function of numbers returning a Value, got {type(f).__name__}")


def _check_argnums(where: str, argnums: Argnums, allow_none: bool) -> None:
    # Validated once, when the derivative function is made; the range is checked per call.
    if argnums is None and allow_none:
        return
    items = (argnums,) if isinstance(argnums, int) and not isinstance(argnums, bool) else argnums
    if isinstance(items, (str, bytes)) or not isinstance(items, (tuple, list)):
        raise TypeError(f"{where}: argnums must be an int or a tuple of ints, got {type(argnums).__name__} "
                        f"{argnums!r}")
    if not items:
        raise ValueError(f"{where}: argnums is empty; name at least one argument to differentiate, e.g. argnums=0")
    for a in items:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"{where}: argnums must hold ints, got {type(a).__name__} {a!r}")


def _resolve(where: str, argnums: Argnums, n_args: int) -> tuple[tuple[int, ...], bool]:
    """The argument positions to differentiate (non-negative) and whether argnums was a single int."""
    if argnums is None:
        if n_args == 0:
            raise TypeError(f"{where}: the function was called without arguments; there is nothing to differentiate")
        return tuple(range(n_args)), False
    single = isinstance(argnums, int)
    items = (argnums,) if single else tuple(argnums)
    resolved = []
    for a in items:
        if not -n_args <= a < n_args:
            hint = f"use argnums in 0..{n_args - 1}" if n_args else "call the function with arguments"
            raise ValueError(f"{where}: argnums {a} is out of range for a call with {n_args} positional "
                             f"argument(s); {hint}, or a tuple such as (0, 1) for several")
        resolved.append(a % n_args)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"{where}: argnums {argnums!r} names the same argument twice")
    return tuple(resolved), single


def _labels(f: Callable) -> list[str]:
    # Leaves are labelled with f's parameter names, so anomaly and domain errors say 'x' rather than 'leaf'.
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _leaves(where: str, args: tuple, positions: tuple[int, ...], labels: list[str]) -> tuple[list, list[Value]]:
    call_args = list(args)
    leaves = []
    for i in positions:
        a = args[i]
        if isinstance(a, Value):
            raise TypeError(f"{where}: argument {i} is a Value; pass numbers (they become the leaves), or use "
                            "autograd_core.gradients(output, inputs) to differentiate a graph you built yourself")
        if isinstance(a, bool) or not isinstance(a, numbers.Real):
            if isinstance(a, (list, tuple)):
                fix = f"pass the numbers as separate arguments: {where}(f, argnums=(0, 1, ...))(*xs)"
            else:
                fix = "differentiate with respect to numeric arguments only (leave others out of argnums)"
            raise TypeError(f"{where}: argument {i} must be a real number (int or float) to be differentiated, got "
                            f"{type(a).__name__} {a!r:.60}; {fix}")
        leaf = Value(to_float(a, where), labels[i] if i < len(labels) else f"x{i}")
        call_args[i] = leaf
        leaves.append(leaf)
    return call_args, leaves


def not_a_value(where: str, out: object, instead: str) -> TypeError:
    if isinstance(out, (list, tuple)):
        return TypeError(f"{where}: f returned a {type(out).__name__} of {len(out)} items, not a single Value; "
                         f"{instead}")
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return TypeError(f"{where}: f returned the plain number {out!r} ({type(out).__name__}), not a Value, so its "
                         "result is not connected to the arguments: use Value arithmetic and autograd_core's "
                         "functions (autograd_core.sin, .exp(), ...) instead of math.sin etc., which turn a Value "
                         "into a float; for a constant f return Value(c)")
    return TypeError(f"{where}: f must return a Value, got {type(out).__name__}")


def _scalar_output(where: str, f: Callable, call_args: list, kwargs: dict) -> Value:
    out = f(*call_args, **kwargs)
    if not isinstance(out, Value):
        raise not_a_value(where, out, f"{where} needs a scalar output (one Value); use autograd_core.jacobian(f) "
                                       "for a list of outputs")
    return out


def _shape(values: list, single: bool):
    return values[0] if single else tuple(values)


def _differentiate(where: str, f: Callable, argnums: Argnums, allow_none: bool, body: Callable) -> Callable:
    """What every wrapper shares: check ``f`` and ``argnums`` once; per call, make the chosen arguments leaves
    labelled with f's parameter names and hand ``body(call_args, kwargs, leaves, single)`` the rest."""
    _check_f(where, f)
    _check_argnums(where, argnums, allow_none)
    labels = _labels(f)

    def differentiated(*args, **kwargs):
        positions, single = _resolve(where, argnums, len(args))
        call_args, leaves = _leaves(where, args, positions, labels)
        return body(call_args, kwargs, leaves, single)

    differentiated.__name__ = f"{where}_{getattr(f, '__name__', 'f')}"
    differentiated.__doc__ = f"{where} of {getattr(f, '__name__', 'f')} (autograd_core.{where})."
    return differentiated


def value_and_grad(f: Callable[..., Value], argnums: Union[int, Sequence[int]] = 0) -> Callable[..., tuple]:
    """``value_and_grad(f)(*args)`` returns ``(f(*args), ∇f)`` from one forward and one backward pass.

    For ``argnums`` an int the gradient is the float ∂f/∂x_argnums; for a tuple of ints it is the tuple
    (∂f/∂x_i for i in argnums). The value is ``f(*args).data`` as a float.

    Example: ``value_and_grad(lambda x, y: x * y + 3 * x ** 2, argnums=(0, 1))(-2.0, -2.0)`` is
    ``(16.0, (-14.0, -2.0))``: ∂f/∂x = y + 6x and ∂f/∂y = x.
    """
    def body(call_args, kwargs, leaves, single):
        out = _scalar_output("value_and_grad", f, call_args, kwargs)
        return out.data, _shape(gradients(out, leaves), single)

    return _differentiate("value_and_grad", f, argnums, False, body)


def grad(f: Callable[..., Value], argnums: Union[int, Sequence[int]] = 0) -> Callable[..., Union[float, tuple]]:
    """``grad(f)`` is the function computing the gradient of the scalar function ``f``.

    ``grad(f, argnums=i)(*args)`` = ∂f/∂x_i (a float); ``grad(f, argnums=(i, j))(*args)`` = (∂f/∂x_i, ∂f/∂x_j).
    ``f`` takes numbers and returns one Value; for a list of outputs use :func:`jacobian`, for a graph you built
    yourself :func:`autograd_core.gradients`.

    Example: with ``f(x, y) = x y + 3 x²``, ``grad(f, argnums=(0, 1))(-2.0, -2.0)`` is ``(-14.0, -2.0)``
    (∂f/∂x = y + 6x, ∂f/∂y = x), and ``grad(lambda x: autograd_core.cos(x) ** 2)(x)`` is -2 sin(x) cos(x).
    """
    def body(call_args, kwargs, leaves, single):
        return _shape(gradients(_scalar_output("grad", f, call_args, kwargs), leaves), single)

    return _differentiate("grad", f, argnums, False, body)


def jacobian(f: Callable[..., Sequence[Value]], argnums: Argnums = None) -> Callable[..., list]:
    """``jacobian(f)(*args)`` is the Jacobian of the vector function ``f``: one row per output.

    J[i][j] = ∂f_i/∂x_j, where f_i is the i-th Value of the list ``f`` returns and x_j the j-th argument in
    ``argnums`` (default: every positional argument). Each row is a list of floats; with ``argnums`` a single int
    each row is the float ∂f_i/∂x_argnums instead. Costs one backward pass per output.

    Example: for ``f(x, y) = [x * y, x + y]``, ``jacobian(f)(2.0, 3.0)`` is ``[[3.0, 2.0], [1.0, 1.0]]``.
    A scalar ``f`` (one Value) belongs to :func:`grad`.
    """
    def body(call_args, kwargs, leaves, single):
        outs = f(*call_args, **kwargs)
        if isinstance(outs, Value):
            raise TypeError("jacobian: f returned a single Value; use autograd_core.grad(f) for a scalar output, "
                            "or return a list of Values")
        if not isinstance(outs, (list, tuple)):
            raise TypeError(f"jacobian: f must return a list of Values (one per output), got {type(outs).__name__}")
        rows = []
        for i, out in enumerate(outs):
            if not isinstance(out, Value):
                kind = "a plain number" if isinstance(out, numbers.Real) else f"a {type(out).__name__}"
                raise TypeError(f"jacobian: output {i} of f is {kind} ({out!r:.60}), not a Value: build every output "
                                "with Value arithmetic and autograd_core's functions (not math.*), and wrap a "
                                "constant output as Value(c)")
            g = gradients(out, leaves)
            rows.append(g[0] if single else g)
        return rows

    return _differentiate("jacobian", f, argnums, True, body)


def hessian(f: Callable[..., Value], argnums: Argnums = None) -> Callable[..., Union[float, list]]:
    """``hessian(f)(*args)`` is the matrix of second partial derivatives of the scalar function ``f``.

    H[i][j] = ∂²f/∂x_i∂x_j over the arguments in ``argnums`` (default: every positional argument), a list of rows;
    with ``argnums`` a single int the result is the float ∂²f/∂x². Computed by double backward: the gradient is
    built as a differentiable graph (``gradients(create_graph=True)``), then each component ∂f/∂x_i is
    differentiated again. Where f is twice continuously differentiable H is symmetric. A custom op whose
    derivative is written with ``math.*`` instead of autograd_core's functions (a plain number that changes with
    the input) raises TypeError naming the op, rather than giving a wrong H.

    Example: for ``f(x, y) = x y + 3 x²``, ``hessian(f)(-2.0, -2.0)`` is ``[[6.0, 1.0], [1.0, 0.0]]``.
    """
    def body(call_args, kwargs, leaves, single):
        first = gradients(_scalar_output("hessian", f, call_args, kwargs), leaves, create_graph=True)
        rows = [gradients(g, leaves) for g in first]
        return rows[0][0] if single else rows

    return _differentiate("hessian", f, argnums, True, body)
