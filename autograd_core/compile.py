"""``autograd_core.compile(f)``: trace ``f`` once, then replay forward and backward on floats.

``step = compile(f)``; ``step(*args)`` returns ``f(*args)``'s output as a float and adds d output / d p to ``p.grad``
for every parameter Value ``p`` that ``f`` closes over (or receives as an argument), exactly as
``f(*args).backward()`` would (leaves accumulate: zero the grads between steps, outside ``f``).

How. The first call runs ``f`` on Values (the arguments, numbers or nested lists of numbers, become leaves): that
call *is* graph mode, its gradients come from :func:`autograd_core.backward`. The recorded graph is lowered to a
flat tape (slot indices and op table entries) and then to a backend:

* ``"python"`` (default, no dependency): straight-line Python generated from each op's templates (``Op.py``; ops
  without templates, such as custom ops, are called through their ``forward``/``derivs``). Forward in topological
  order, backward in the reverse of :func:`autograd_core.topological_order` with ``grad_p += g * d`` in the very
  order of :func:`autograd_core.backward`'s loop, so results are **bit-identical** to graph mode. Gradient work that
  reaches no parameter is dropped (it cannot change a parameter's gradient).
* ``"interpret"``: a loop over the tape calling ``op.forward``/``op.derivs`` (also bit-identical); chosen by
  ``"python"`` for tapes above :data:`MAX_GENERATED` nodes, where generating code costs more than it saves.
* ``"numpy"``: nodes grouped by (level, op, input count, parameter), level = 1 + the highest level of the
  parents; each group is one vectorised forward and one scatter-add (``bincount``) of ``g * d`` backward. Same
  results within ~1e-15 relative (summation order differs). A replay that meets a non-finite number falls back to
  the Python backend, which raises what graph mode raises.

Guards. Whatever ``f`` learns about its Values as plain Python objects during the trace is a guard: reading
``.data`` (guard: the value is the same), ``float(v)``, ``int(v)``, ``round(v)``, ``v.item()``, ``format(v, spec)``
(same value), ``v < w`` and the other comparisons (guard: same outcome). A replay computes the forward pass, checks
every guard on the new values and, on any mismatch, traces again; tapes are cached per guard outcome and per
argument structure (list lengths, non-numeric arguments). After :data:`MAX_TAPES` traces for one structure the
function is run in graph mode from then on (with a warning naming the guard): never a silently stale constant.
Branches inside an op (relu, abs, step, leaky_relu) are not guards: the tape follows them.

Limits. Side effects of ``f`` (printing, appending to a list, Python numbers read from outside) happen at trace
time only. ``f`` must not call ``backward``/``gradients``, read or write ``.grad`` or write ``.data``: compile does
the backward pass itself; higher-order gradients through a compiled function are a TypeError that says to use
graph mode. During a trace, ``Value.data``/``Value.grad`` are properties (one trace at a time, other threads pass
through unrecorded but slower).
"""

from __future__ import annotations

import builtins
import numbers
import sys
import threading
import warnings
import weakref
from collections.abc import Callable

from . import ops as _ops
from .graph import backward as _graph_backward
from .graph import topological_order
from .value import Value

__all__ = ["compile", "Compiled", "CompileError", "MAX_TAPES", "MAX_GENERATED"]

MAX_TAPES = 8  # traces per argument structure before compile gives up on guards and runs graph mode
MAX_GENERATED = 50_000  # nodes above which the python backend interprets the tape instead of generating code
_INTERNAL = frozenset({"autograd_core.value", "autograd_core.ops", "autograd_core.anomaly", "autograd_core.switches",
                       __name__})
_GRAPH = "autograd_core.graph"
_REPLAY_ERRORS = (ArithmeticError, ValueError)
_FAIL = object()  # a replay whose guards did not hold
_lock = threading.Lock()


class CompileError(TypeError):
    """``f`` does something a compiled function cannot replay (backward inside ``f``, writing ``.data``, ...)."""


# --------------------------------------------------------------------------------------------- tracing hooks
class _Trace:
    """What one trace records: guards in order, and errors found by the hooks."""

    def __init__(self, name: str) -> None:
        self.name, self.thread = name, threading.get_ident()
        self.guards: list = []  # (kind, value_or_node, other, expected, where)
        self.error: str | None = None

    def fail(self, message: str) -> None:
        if self.error is None:
            self.error = message
        raise CompileError(self.error)


_active: _Trace | None = None
_DATA = Value.__dict__["data"]
_GRAD = Value.__dict__["grad"]
_get_data, _set_data, _get_grad, _set_grad = _DATA.__get__, _DATA.__set__, _GRAD.__get__, _GRAD.__set__
_ORIGINAL = {name: Value.__dict__[name] for name in ("__lt__", "__le__", "__gt__", "__ge__", "__float__", "__int__",
                                                     "__round__", "__format__", "item")}


def _where(depth: int) -> str:
    f = sys._getframe(depth)
    return f"{f.f_code.co_filename}:{f.f_lineno}"


def _tracing() -> _Trace | None:
    t = _active
    return t if t is not None and t.thread == threading.get_ident() else None


def _outside(depth: int) -> str | None:
    """The module name of the frame ``depth`` levels up when it is not the engine's own code (else None)."""
    name = sys._getframe(depth).f_globals.get("__name__", "")
    return None if name in _INTERNAL else name


def _higher_order(t: _Trace) -> None:
    t.fail(f"compile({t.name}): f runs backward, gradients or another graph walk while it is traced; a compiled "
           "function does the backward pass itself and returns a float, so gradients of gradients (higher order) "
           "through it are not available: compute them in graph mode (autograd_core.gradients(..., "
           "create_graph=True), autograd_core.hessian) without compile")


def _data_getter(v):
    t = _tracing()
    if t is not None:
        mod = _outside(2)
        if mod is not None:
            if mod == _GRAPH:
                _higher_order(t)
            t.guards.append(("value", v, None, _get_data(v, Value), _where(2)))
    return _get_data(v, Value)


def _data_setter(v, x) -> None:
    t = _tracing()
    if t is not None and _outside(2) is not None:
        t.fail(f"compile({t.name}): f writes .data of a Value ({_where(2)}); a compiled function replays the "
               "recorded arithmetic only, so the write would happen once: update parameters outside f "
               "(optimizer.step() after the compiled call)")
    _set_data(v, x)


def _grad_touched(t: _Trace, mod: str) -> None:
    if mod == _GRAPH:
        _higher_order(t)
    t.fail(f"compile({t.name}): f reads or writes .grad ({_where(3)}); compile runs the backward pass itself "
           "after f and writes the parameters' .grad: zero the grads before the compiled call and read them "
           "after it, outside f")


def _grad_getter(v):
    t = _tracing()
    if t is not None:
        mod = _outside(2)
        if mod is not None:
            _grad_touched(t, mod)
    return _get_grad(v, Value)


def _grad_setter(v, x) -> None:
    t = _tracing()
    if t is not None:
        mod = _outside(2)
        if mod is not None:
            _grad_touched(t, mod)
    _set_grad(v, x)


def _comparison(name: str, symbol: str) -> Callable:
    original = _ORIGINAL[name]

    def compare(self, other):
        result = original(self, other)
        t = _tracing()
        if t is not None and result is not NotImplemented:
            t.guards.append(("compare", self, other if isinstance(other, Value) else float(other), (symbol, result),
                             _where(2)))
        return result

    return compare


def _reader(name: str) -> Callable:
    original = _ORIGINAL[name]

    def read(self, *args):
        t = _tracing()
        if t is not None and not (name == "__format__" and not args[0]):
            t.guards.append(("value", self, None, _get_data(self, Value), _where(2)))
        return original(self, *args)

    return read


_HOOKS = {"data": property(_data_getter, _data_setter), "grad": property(_grad_getter, _grad_setter),
          **{n: _comparison(n, s) for n, s in (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">="))},
          **{n: _reader(n) for n in ("__float__", "__int__", "__round__", "__format__", "item")}}
_RESTORE = {"data": _DATA, "grad": _GRAD, **_ORIGINAL}
_COMPARE = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


# --------------------------------------------------------------------------------------------- arguments
class _Static:
    """An argument passed to ``f`` as it is (``static_argnums``): part of the cache key, never lifted to Values."""

    __slots__ = ("value", "key")

    def __init__(self, value, where: str) -> None:
        self.value, self.key = value, _frozen(value, where)


def _frozen(x, where: str):
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, tuple(_frozen(y, where) for y in x))
    if isinstance(x, Value):
        raise CompileError(f"{where}: a static argument holds a Value; static arguments are plain data (numbers, "
                           "strings, lists of them), selected by value")
    try:
        hash(x)
    except TypeError:
        raise CompileError(f"{where}: a static argument holds an unhashable {type(x).__name__}; use numbers, "
                           "strings, tuples or lists of them") from None
    return x


def _lift_args(args: tuple, name: str) -> tuple:
    """``(values, key, leaves, params)``: args with numbers as fresh leaves, the structure key, the leaves in order
    (their floats are the replay's inputs) and the Value arguments (parameters)."""
    leaves: list = []
    params: list = []
    key: list = []

    def lift(x, path: str):
        if type(x) is _Static:
            key.append(("static", x.key))
            return x.value
        if isinstance(x, Value):
            if x.op_entry is not None:
                raise CompileError(
                    f"compile({name}): argument {path} is a Value computed by op {x.op!r}; a compiled function "
                    "returns a float and cuts the graph, so gradients cannot flow through it into earlier "
                    "computations (nor be differentiated again): pass numbers or leaf Values (parameters), or use "
                    "graph mode for higher-order gradients")
            params.append(x)
            key.append("V")
            return x
        if isinstance(x, (list, tuple)):
            key.append((type(x).__name__, len(x)))
            return type(x)(lift(y, f"{path}[{i}]") for i, y in enumerate(x))
        if isinstance(x, numbers.Real) and not isinstance(x, bool):
            v = Value(float(x))
            leaves.append(v)
            key.append("f")
            return v
        try:
            hash(x)
        except TypeError:
            raise CompileError(f"compile({name}): argument {path} is a {type(x).__name__}, which is neither a "
                               "number, a list or tuple of them, a Value nor hashable; pass numbers (nested lists "
                               "are fine) or a hashable constant, which selects its own trace") from None
        key.append(("static", type(x).__name__, x))
        return x

    values = tuple(lift(a, f"#{i}") for i, a in enumerate(args))
    return values, tuple(key), leaves, params


def _flatten(args: tuple, out: list) -> list:
    for x in args:
        if type(x) is float:
            out.append(x)
        elif type(x) is _Static:
            continue
        elif isinstance(x, (list, tuple)):
            _flatten(x, out)
        elif isinstance(x, numbers.Real) and not isinstance(x, (bool, Value)):
            out.append(float(x))
    return out


# --------------------------------------------------------------------------------------------- the tape
class _Tape:
    """A lowered trace: slot per node; forward entries, backward entries, guards, which leaf feeds each slot.

    Holds no Value except the parameters (weakly until finalised, then strongly: they outlive the tape anyway).
    """

    __slots__ = ("n", "forward", "backward", "guards", "inputs", "params", "param_slots", "consts", "out",
                 "needs", "run", "backend", "aux", "python")


def _lower(output: Value, guards: list, arg_leaves: list, value_params: list, aux: tuple = ()) -> tuple:
    """Lower the traced graph; returns ``(tape, weak)`` with ``weak`` the other leaves (slot, weakref, data)."""
    order = topological_order(output)
    extra = [g[1] for g in guards] + [g[2] for g in guards if isinstance(g[2], Value)] + list(aux)
    slot: dict = {}
    nodes: list = []

    def place(v) -> None:
        slot[v] = len(nodes)
        nodes.append(v)

    for v in order:
        place(v)
    for root in extra:  # guarded Values outside the output's graph: computed forward, never differentiated
        if root not in slot:
            for v in topological_order(root):
                if v not in slot:
                    place(v)
    tape = _Tape()
    tape.n, tape.out = len(nodes), slot[output]
    tape.aux = [slot[a] for a in aux]
    tape.forward = [(slot[v], v.op_entry, tuple([slot[p] for p in v.parents]), v.arg) for v in nodes
                    if v.op_entry is not None]
    arg_slots = {slot[v]: i for i, v in enumerate(arg_leaves) if v in slot}
    tape.inputs = sorted(arg_slots.items())
    weak, params, consts = [], [], []
    value_param_ids = {id(p) for p in value_params}
    for v in nodes:
        if v.op_entry is None and slot[v] not in arg_slots:
            if id(v) in value_param_ids:
                params.append((slot[v], v))
            else:
                weak.append((slot[v], weakref.ref(v), _get_data(v, Value)))
    tape.params, tape.consts = params, consts
    tape.guards = [(kind, slot[a], slot[b] if isinstance(b, Value) else b, expected, where)
                   for kind, a, b, expected, where in guards]
    tape.backward = [(slot[v], v.op_entry, tuple([slot[p] for p in v.parents]), v.arg) for v in reversed(order)
                     if v.op_entry is not None]
    return tape, weak


def _finalise(tape: _Tape, weak: list, name: str) -> None:
    """Leaves that outlived the trace are parameters (read and written at every replay); the others were
    temporaries (constants lifted from numbers inside ``f``): their data is baked in."""
    for s, ref, data in weak:
        v = ref()
        if v is None:
            tape.consts.append((s, data))
        else:
            tape.params.append((s, v))
    tape.params.sort(key=lambda e: e[0])
    tape.param_slots = [s for s, _ in tape.params]
    tape.params = [v for _, v in tape.params]
    # which slots need a gradient: parameters and every node with a parameter upstream
    needs = [False] * tape.n
    for s in tape.param_slots:
        needs[s] = True
    for out, _op, ins, _arg in tape.forward:
        if not needs[out]:
            for i in ins:
                if needs[i]:
                    needs[out] = True
                    break
    tape.needs = needs


# --------------------------------------------------------------------------------------------- python backend
def _emit_guards(tape: _Tape, var: Callable, lines: list, consts: dict) -> None:
    for k, (kind, a, b, expected, _) in enumerate(tape.guards):
        if kind == "value":
            c = f"_G{k}"
            consts[c] = expected
            lines.append(f"    if not ({var(a)} == {c} or ({var(a)} != {var(a)} and {c} != {c})): return _FAIL")
        else:
            symbol, result = expected
            other = var(b) if type(b) is int else _ops.literal(b)
            lines.append(f"    if ({var(a)} {symbol} {other}) is not {result}: return _FAIL")


def _generate(tape: _Tape) -> Callable:
    """Straight-line Python for one tape: ``run(inputs, params) -> float or _FAIL``; grads written at the end."""
    env = dict(_ops.PY_ENV)
    env["_FAIL"] = _FAIL
    is_param = set(tape.param_slots)

    def var(s: int) -> str:
        return f"v{s}"

    lines = ["def run(A, P):"]
    for s, i in tape.inputs:
        lines.append(f"    v{s} = A[{i}]")
    for k, s in enumerate(tape.param_slots):
        lines.append(f"    v{s} = P[{k}].data")
    for s, data in tape.consts:
        lines.append(f"    v{s} = {_ops.literal(data)}")
    for out, op, ins, arg in tape.forward:
        names = [var(i) for i in ins]
        if op.py is not None:
            lines.append(f"    v{out} = {op.py[0](names, arg)}")
        else:
            f = f"_F_{op.name}_{id(op)}"
            env[f] = op.forward
            a = "None"
            if arg is not None:
                a = f"_A{out}"
                env[a] = arg
            lines.append(f"    v{out} = {f}({', '.join(names)}, {a})")
    _emit_guards(tape, var, lines, env)
    needs = tape.needs
    started: set = set()
    for k, s in enumerate(tape.param_slots):
        lines.append(f"    g{s} = P[{k}].grad")
        lines.append(f"    if g{s} is None: g{s} = 0.0")
        started.add(s)
    root = tape.out
    if needs[root] and root not in is_param:
        lines.append(f"    g{root} = 1.0")
        started.add(root)
    elif root in is_param:
        lines.append(f"    g{root} += 1.0")
    for out, op, ins, arg in tape.backward:
        if not needs[out]:
            continue
        names = [var(i) for i in ins]
        if op.py is not None:
            ds = op.py[1](names, var(out), arg)
        else:
            ds = _called_derivs(op, out, names, arg, env, lines)
        for i, d in zip(ins, ds):
            if not needs[i]:
                continue
            c = f"g{out}" if d is None else (f"g{out} * {d}" if _atomic(d) else f"g{out} * ({d})")
            if i in started:
                lines.append(f"    g{i} += {c}")
            else:
                lines.append(f"    g{i} = 0.0 + {c}")
                started.add(i)
    for k, s in enumerate(tape.param_slots):
        lines.append(f"    P[{k}].grad = g{s}")
    lines.append(f"    return v{root}, [{', '.join(var(a) for a in tape.aux)}]")
    source = "\n".join(lines) + "\n"
    try:
        code = builtins.compile(source, f"<autograd_core.compile tape of {tape.n} nodes>", "exec")
    except (RecursionError, MemoryError, SyntaxError):
        return _interpreter(tape)  # an expression too deep for Python's compiler (a sum of thousands of inputs)
    tape.python = source
    exec(code, env)  # noqa: S102 - our own generated straight-line code
    return env.pop("run")  # the function keeps env as its globals; env must not keep it (no reference cycle)


def _atomic(expr: str) -> bool:
    # a variable, a number or a subscript: no parentheses needed after "g * "
    return expr.replace("_", "a").replace(".", "0").replace("[", "").replace("]", "").isalnum() or \
        (expr.startswith("-") and expr[1:].replace(".", "0").isdigit())


def _called_derivs(op: _ops.Op, out: int, names: list, arg, env: dict, lines: list) -> tuple:
    # an op without templates: its derivs, called as graph mode calls them (one call per variadic node)
    a = "None"
    if arg is not None:
        a = f"_A{out}"
        env[a] = arg
    if op.arity == -1:
        d = op.derivs[0]
        if d is None:
            return (None,) * len(names)
        f = f"_D_{op.name}_{id(op)}"
        env[f] = d
        lines.append(f"    d{out} = {f}(({', '.join(names)},), v{out}, {a})")
        return tuple(f"d{out}[{k}]" for k in range(len(names)))
    result = []
    for k, d in enumerate(op.derivs):
        if d is None:
            result.append(None)
        else:
            f = f"_D{k}_{op.name}_{id(op)}"
            env[f] = d
            result.append(f"{f}({', '.join(names)}, v{out}, {a})")
    return tuple(result)


# --------------------------------------------------------------------------------------------- interpreter
def _interpreter(tape: _Tape) -> Callable:
    """The tape replayed by a loop calling each op's forward and derivs (bit-identical to graph mode)."""
    n, needs, out_slot, aux = tape.n, tape.needs, tape.out, tape.aux
    inputs, consts, param_slots, guards = tape.inputs, tape.consts, tape.param_slots, tape.guards
    forward = [(o, op.forward, ins, arg) for o, op, ins, arg in tape.forward]
    backward = [(o, op, ins, arg) for o, op, ins, arg in tape.backward if needs[o]]

    def run(A, P):
        V = [0.0] * n
        for s, i in inputs:
            V[s] = A[i]
        for s, p in zip(param_slots, P):
            V[s] = p.data
        for s, c in consts:
            V[s] = c
        for o, f, ins, arg in forward:
            V[o] = f(*[V[i] for i in ins], arg)
        if not _guards_hold(guards, V):
            return _FAIL
        G = [0.0] * n
        for s, p in zip(param_slots, P):
            g = p.grad
            G[s] = 0.0 if g is None else g
        if out_slot in param_slots:
            G[out_slot] += 1.0
        else:
            G[out_slot] = 1.0
        for o, op, ins, arg in backward:
            g = G[o]
            xs = [V[i] for i in ins]
            if op.arity == -1:
                d = op.derivs[0]
                ds = (None,) * len(ins) if d is None else d(tuple(xs), V[o], arg)
            else:
                ds = [None if d is None else d(*xs, V[o], arg) for d in op.derivs]
            for i, d in zip(ins, ds):
                if needs[i]:
                    G[i] += g if d is None else g * d
        for s, p in zip(param_slots, P):
            p.grad = G[s]
        return V[out_slot], [V[a] for a in aux]

    return run


def _guards_hold(guards: list, V) -> bool:
    for kind, a, b, expected, _w in guards:
        x = float(V[a])
        if kind == "value":
            if not (x == expected or (x != x and expected != expected)):
                return False
        else:
            symbol, result = expected
            other = float(V[b]) if type(b) is int else b
            if _COMPARE[symbol](x, other) is not result:
                return False
    return True


# --------------------------------------------------------------------------------------------- numpy backend
def _numpy_backend(tape: _Tape, fallback: Callable) -> Callable:
    """Nodes grouped by (level, op, input count, parameter); one vectorised step per group each way."""
    try:
        import numpy as np
    except ImportError:
        raise ImportError("compile(backend='numpy') needs numpy: pip install numpy (or use the default "
                          "backend='python', which has no dependency)") from None
    n = tape.n
    level = [0] * n
    groups: dict = {}
    for o, op, ins, arg in tape.forward:
        lv = 1 + max((level[i] for i in ins), default=0)
        level[o] = lv
        groups.setdefault((lv, id(op), len(ins), arg), (op, [], []))
        g = groups[(lv, id(op), len(ins), arg)]
        g[1].append(o)
        g[2].append(ins)
    plan = []
    needs = np.array(tape.needs, dtype=bool)
    for key in sorted(groups, key=lambda k: k[0]):
        op, outs, ins = groups[key]
        outs_a = np.array(outs, dtype=np.intp)
        idx = np.array(ins, dtype=np.intp).reshape(len(outs), key[2])
        keep = needs[idx.ravel()]
        plan.append((op, key[3], outs_a, idx, keep, bool(needs[outs_a].any())))
    in_slots = np.array([s for s, _ in tape.inputs], dtype=np.intp)
    in_index = np.array([i for _, i in tape.inputs], dtype=np.intp)
    const_slots = np.array([s for s, _ in tape.consts], dtype=np.intp)
    const_vals = np.array([c for _, c in tape.consts], dtype=float)
    p_slots = np.array(tape.param_slots, dtype=np.intp)
    guards, out_slot = tape.guards, tape.out
    aux = np.array(tape.aux, dtype=np.intp)
    isfinite = np.isfinite

    def run(A, P):
        V = np.zeros(n)
        if len(in_slots):
            V[in_slots] = np.asarray(A, dtype=float)[in_index]
        V[const_slots] = const_vals
        if P:
            V[p_slots] = [p.data for p in P]
        with np.errstate(all="ignore"):
            for op, arg, outs, idx, _keep, _need in plan:
                M = V[idx]
                if op.np is not None:
                    V[outs] = op.np[0](np, M, arg)
                else:
                    V[outs] = [op.forward(*row, arg) for row in M.tolist()]
            if not isfinite(V).all():
                return fallback(A, P)
            if not _guards_hold(guards, V):
                return _FAIL
            G = np.zeros(n)
            G[out_slot] = 1.0
            for op, arg, outs, idx, keep, need in reversed(plan):
                if not need:
                    continue
                g = G[outs]
                if op.np is not None:
                    D = op.np[1](np, V[idx], V[outs], arg)
                else:
                    D = np.array([_ops_locals(op, row, out, arg) for row, out in
                                  zip(V[idx].tolist(), V[outs].tolist())], dtype=float).reshape(idx.shape)
                C = np.broadcast_to(g[:, None], idx.shape) if D is None else g[:, None] * D
                G += np.bincount(idx.ravel()[keep], C.ravel()[keep], minlength=n)
            if not isfinite(G).all():
                return fallback(A, P)
        if P:
            for p, gp in zip(P, G[p_slots].tolist()):
                old = p.grad
                p.grad = gp if old is None else old + gp
        return float(V[out_slot]), V[aux].tolist()

    return run


def _ops_locals(op: _ops.Op, row: list, out: float, arg) -> tuple:
    return op.local_derivatives(tuple(row), out, arg)


# --------------------------------------------------------------------------------------------- compile
class Compiled:
    """A compiled ``f``: call it like ``f``; it returns a float and accumulates the parameters' ``.grad``.

    Attributes: ``traces`` (how many times ``f`` ran on Values), ``replays`` (calls served by a tape),
    ``backend``, and :meth:`tapes` (a summary per cached tape).
    """

    def __init__(self, f: Callable, backend: str, max_tapes: int, static_argnums: tuple = (),
                 has_aux: bool = False) -> None:
        if not callable(f):
            raise TypeError(f"compile: f must be callable, got {type(f).__name__} {f!r:.60}")
        if backend not in ("python", "numpy", "interpret"):
            raise ValueError(f"compile: backend must be 'python', 'numpy' or 'interpret', got {backend!r}")
        if backend == "numpy":
            try:
                import numpy  # noqa: F401
            except ImportError:
                raise ImportError("compile(backend='numpy') needs numpy: pip install numpy (or use the default "
                                  "backend='python', which has no dependency)") from None
        self.f, self.backend, self.max_tapes = f, backend, max_tapes
        if isinstance(static_argnums, int):
            static_argnums = (static_argnums,)
        self.static = frozenset(static_argnums)
        self.has_aux = bool(has_aux)
        self.name = getattr(f, "__name__", type(f).__name__)
        self.__doc__ = getattr(f, "__doc__", None)
        self._cache: dict = {}
        self._graph_mode: dict = {}
        self.traces = self.replays = 0

    def __repr__(self) -> str:
        return f"Compiled({self.name}, backend={self.backend!r}, traces={self.traces}, replays={self.replays})"

    def tapes(self) -> list:
        """One dict per cached tape: nodes, parameters, guards (kind and where in f), backend."""
        return [{"nodes": t.n, "parameters": len(t.params), "guards": [(g[0], g[4]) for g in t.guards],
                 "backend": t.backend} for ts in self._cache.values() for t in ts]

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError(f"compile({self.name}): keyword arguments are not supported by the compiled function; "
                            "pass them positionally or bind them with functools.partial before compiling")
        if _tracing() is not None:
            raise CompileError(f"compile({self.name}): called while another compiled function is being traced; a "
                               "compiled function returns a float, which would cut the outer graph: call the plain "
                               "function inside, and compile only the outermost one")
        if self.static:
            where = f"compile({self.name})"
            args = tuple(_Static(a, where) if i in self.static else a for i, a in enumerate(args))
        key = _structure(args)
        if key in self._graph_mode:
            return self._graph_call(args)
        tapes = self._cache.get(key)
        if tapes:
            flat = _flatten(args, [])
            for tape in tapes:
                try:
                    r = tape.run(flat, tape.params)
                except _REPLAY_ERRORS:
                    r = _FAIL  # graph mode will raise it with its own message, or take another branch
                if r is not _FAIL:
                    self.replays += 1
                    return r if self.has_aux else r[0]
        return self._trace(args)

    def _graph_call(self, args: tuple) -> float:
        values, _key, _leaves, _params = _lift_args(args, self.name)
        out, aux = self._split(self.f(*values))
        out.backward()
        return (out.data, [a.data for a in aux]) if self.has_aux else out.data

    def _split(self, result) -> tuple:
        """``(output, aux Values)`` from what ``f`` returned, checked."""
        aux: tuple = ()
        if self.has_aux:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise CompileError(f"compile({self.name}, has_aux=True): f must return (loss, aux) with aux a "
                                   f"Value or a list of Values, got {type(result).__name__}")
            result, aux = result
            aux = (aux,) if isinstance(aux, Value) else tuple(aux)
            for i, a in enumerate(aux):
                if not isinstance(a, Value):
                    raise CompileError(f"compile({self.name}, has_aux=True): aux[{i}] is a {type(a).__name__}, not "
                                       "a Value; return Values (their floats come back), not .data")
        _check_output(result, self.name)
        return result, aux

    def _trace(self, args: tuple) -> float:
        global _active
        values, _key, leaves, value_params = _lift_args(args, self.name)
        key = _structure(args)
        trace = _Trace(self.name)
        with _lock:
            _active = trace
            for name, hook in _HOOKS.items():
                setattr(Value, name, hook)
            try:
                out = self.f(*values)
            finally:
                for name, original in _RESTORE.items():
                    setattr(Value, name, original)
                _active = None
        if trace.error is not None:
            raise CompileError(trace.error)
        out, aux = self._split(out)
        self.traces += 1
        tape, weak = _lower(out, trace.guards, leaves, value_params, aux)
        result = (out.data, [a.data for a in aux]) if self.has_aux else out.data
        _graph_backward(out)  # the first call is graph mode: its errors and its gradients
        del out, values, trace, leaves, aux
        _finalise(tape, weak, self.name)
        tape.backend = self.backend
        if self.backend == "interpret" or (self.backend == "python" and tape.n > MAX_GENERATED):
            tape.run = _interpreter(tape)
            tape.backend = "interpret"
        elif self.backend == "python":
            tape.run = _generate(tape)
            if getattr(tape, "python", None) is None:
                tape.backend = "interpret"  # Python's compiler refused the generated code (too deep)
        else:
            tape.run = _numpy_backend(tape, _generate(tape) if tape.n <= MAX_GENERATED else _interpreter(tape))
        tapes = self._cache.setdefault(key, [])
        tapes.insert(0, tape)
        if len(tapes) >= self.max_tapes:
            where = sorted({g[4] for t in tapes for g in t.guards})
            warnings.warn(f"compile({self.name}): traced {len(tapes)} times for one argument structure because "
                          f"guards keep failing (reads of .data, comparisons or float() at {', '.join(where[:3])}); "
                          "running it in graph mode from now on. Move those reads out of f, or make them ops "
                          "(relu, abs, step, ...), whose branches need no guard", RuntimeWarning, stacklevel=3)
            self._graph_mode[key] = True
            del self._cache[key]
        return result


def _structure(args: tuple):
    """The cache key of a call: nesting, list lengths, which leaves are numbers or Values, static values."""
    key: list = []
    add = key.append

    def walk(x) -> None:
        t = type(x)
        if t is float:
            add("f")
        elif t is list or t is tuple:
            add((t.__name__, len(x)))
            for y in x:
                if type(y) is float:
                    add("f")
                else:
                    walk(y)
        elif t is _Static:
            add(("static", x.key))
        elif isinstance(x, Value):
            add("V")
        elif isinstance(x, (list, tuple)):
            add((t.__name__, len(x)))
            for y in x:
                walk(y)
        elif isinstance(x, numbers.Real) and not isinstance(x, bool):
            add("f")
        else:
            try:
                hash(x)
            except TypeError:
                add(("unhashable", id(x)))
                return
            add(("static", t.__name__, x))

    for a in args:
        walk(a)
    return tuple(key)


def _check_output(out, name: str) -> None:
    if not isinstance(out, Value):
        raise CompileError(f"compile({name}): f must return a Value (the loss), got {type(out).__name__} "
                           f"{out!r:.60}; return the Value itself, not its .data or float()")


def compile(f: Callable | None = None, *, backend: str = "python", max_tapes: int = MAX_TAPES,  # noqa: A001
            static_argnums: tuple = (), has_aux: bool = False):
    """Compile ``f`` (Values in, a Value out) into a function of floats: ``step(*args) -> float``.

    ``step(*args)`` equals ``out = f(*args); out.backward(); out.data`` in graph mode (bit for bit with the
    Python backends): it returns the output's value and adds d out / d p to ``p.grad`` for every parameter ``p``
    (a leaf Value that ``f`` closes over or receives). ``args`` are numbers, nested lists or tuples of numbers,
    leaf Values (parameters) or hashable constants (each one its own trace). Arguments at ``static_argnums``
    (targets, labels: data a loss refuses as Values) reach ``f`` unchanged and select a tape by their value
    (max_tapes of them per structure, then graph mode). With ``has_aux=True``, ``f`` returns ``(loss, aux)``, aux a
    Value or a list of Values computed alongside (scores for an accuracy, ...), and ``step`` returns
    ``(loss, [floats])``: values to look at without a guard. Usable as ``@compile`` or
    ``@compile(backend="numpy")``. See the module docstring for backends, guards and limits.
    """
    if f is None:
        return lambda g: Compiled(g, backend, max_tapes, static_argnums, has_aux)
    return Compiled(f, backend, max_tapes, static_argnums, has_aux)
