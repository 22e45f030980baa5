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
* ``"numba"`` (``pip install "autograd-core[numba]"``, imported when asked for): the tape as op-code arrays,
  replayed by one njit-compiled interpreter per process (not one function per tape: numba takes minutes on a
  straight-line function of tens of thousands of lines). Each fixed-arity op is a branch made of its Python
  templates, so results are **bit-identical** to graph mode; a variadic op (``sum``, ``affine``) is a loop running
  the table's own ``forward`` compiled by numba, with its derivatives from ``Op.nb`` when the table has that form
  (else ``derivs`` in object mode). An op without templates (``define_op``) is a CompileError naming it, raised
  before any gradient is written. The first call compiles the kernel (seconds); a non-finite number falls back to
  the Python replay.

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
import math
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


# --------------------------------------------------------------------------------------------- numba backend
_NUMBA_MISSING = ('compile(backend="numba") needs numba: pip install "autograd-core[numba]" (or use '
                  'backend="python", which has no dependency, or backend="numpy")')
_ARG = "arg_"  # the name of a node's constant parameter inside the numba kernel
_SENTINELS = (1.2345678901234567e-301, 7.654321098765432e-299)  # stand-ins that show where a template writes the arg
_numba_lock = threading.Lock()
_numba_state: list = []  # the process's one _NumbaKernels, created on first use


def _import_numba():
    try:
        import numba
        import numpy
    except ImportError:
        raise ImportError(_NUMBA_MISSING) from None
    return numba, numpy


class _NumbaHelpers:
    """:data:`autograd_core.ops.PY_ENV` for njit code: numbers and ``math`` functions as they are; each helper function
    compiled by numba (a copy with its globals rebound to the compiled helpers), checked when a kernel first uses it.
    A helper numba cannot compile (an f-string in an error message) is called in object mode: it raises what it
    raises in Python."""

    def __init__(self, numba) -> None:
        import types

        self.numba = numba
        self.python = {n: f for n, f in _ops.PY_ENV.items() if isinstance(f, types.FunctionType)}
        self.env = {n: f for n, f in _ops.PY_ENV.items() if n not in self.python}
        self.env["math_isfinite"] = math.isfinite
        self.globals: dict = {}  # per original globals dict: the copy the compiled helpers see
        self.by_id: dict = {}
        for name, f in self.python.items():
            g = self.globals.setdefault(id(f.__globals__), dict(f.__globals__))
            copy = types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, f.__closure__)
            self.by_id[id(f)] = self.env[name] = numba.njit(error_model="numpy")(copy)
        for g in self.globals.values():  # helpers calling helpers call the compiled ones
            for k, v in list(g.items()):
                if id(v) in self.by_id:
                    g[k] = self.by_id[id(v)]
        self.checked: set = set()

    def used_by(self, sources: list) -> dict:
        """The env for kernel source lines ``sources``, every helper they name (and those it calls) checked."""
        import re

        text = "\n".join(sources)
        for name in self.python:
            if name in self.checked or not re.search(rf"\b{name}\b", text):
                continue
            stack, order = [name], []  # callees before callers: a helper is wrapped only for its own sake
            while stack:
                h = stack.pop()
                if h not in self.checked:
                    self.checked.add(h)
                    order.append(h)
                    stack += [c for c in self.python[h].__code__.co_names if c in self.python]
            for h in reversed(order):
                self._check(h, self.python[h])
        return self.env

    def _check(self, name: str, f) -> None:
        nb = self.numba
        try:
            self.env[name].compile((nb.float64,) * f.__code__.co_argcount)
        except Exception:  # numba's refusals (TypingError, UnsupportedBytecodeError, ...) share no base class
            args = ", ".join(f"a{k}" for k in range(f.__code__.co_argcount))
            scope = {"objmode": nb.objmode, "_python": f}
            exec(f"def {name}({args}):\n    with objmode(r='float64'):\n        r = _python({args})\n    return r\n",
                 scope)  # noqa: S102 - a fixed wrapper around the table's own helper
            wrapped = nb.njit(scope[name])
            for g in self.globals.values():
                for k, v in list(g.items()):
                    if v is self.env[name]:
                        g[k] = wrapped
            self.env[name] = wrapped


def _numba_templates(op: _ops.Op, n: int, arg) -> tuple:
    """``(key, forward, derivs, runtime_arg)``: an op's Python templates (``Op.py``) for a node of ``n`` inputs named
    ``x0``, ``x1``, ... and output ``r``; the constant parameter is the kernel variable ``arg_`` when the template
    writes it unchanged (found by rendering it with two stand-in values), else baked into the key."""
    names = [f"x{k}" for k in range(n)]

    def render(a) -> tuple:
        return op.py[0](names, a), tuple(op.py[1](names, "r", a))

    def swap(texts: tuple, a: float) -> tuple:
        t = _ops.literal(a)
        return tuple(None if s is None else s.replace(t, _ARG) for s in texts)

    first, second = render(_SENTINELS[0]), render(_SENTINELS[1])
    fwd = swap((first[0],), _SENTINELS[0]) + swap(first[1], _SENTINELS[0])
    passes = fwd == swap((second[0],), _SENTINELS[1]) + swap(second[1], _SENTINELS[1])
    uses = any(s is not None and _ARG in s for s in fwd)
    if passes and (arg is not None or not uses):
        return (op, n, _ARG), fwd[0], fwd[1:], (0.0 if arg is None else float(arg))
    baked = render(arg)
    return (op, n, ("baked", arg)), baked[0], baked[1], 0.0


def _array_form(f: Callable) -> Callable:
    """A variadic op's ``forward(*inputs, arg)`` as a function of one array (the inputs, then the arg): the same
    code object with its ``*a`` turned into a positional ``a``, so numba compiles the table's own loop."""
    import inspect
    import types

    code = f.__code__
    if not (code.co_flags & inspect.CO_VARARGS and code.co_argcount == 0 and not code.co_kwonlyargcount):
        raise TypeError(f"{f!r} is not a function of *inputs only")
    return types.FunctionType(code.replace(co_flags=code.co_flags & ~inspect.CO_VARARGS, co_argcount=1),
                              f.__globals__, f.__name__, None, f.__closure__)


def _python_derivs(op: _ops.Op, none_arg: bool) -> Callable:
    """A variadic op's Python derivatives in the kernel's convention ``(x, out, arg, d)``, for object mode."""
    derivs = op.derivs[0]

    def fill(x, out, arg, d):
        d[:] = derivs(tuple(x.tolist()), out, None if none_arg else arg)

    return fill


class _NumbaKernels:
    """The process's numba interpreter: one code per node kind and a kernel pair (forward, backward) compiled for
    every kind so far. Kinds: a fixed-arity op with its Python templates (``Op.py``) inlined as a branch, the arg a
    kernel variable when the template writes it unchanged (else baked in: one kind per value); a variadic op (sum,
    affine) as a loop over its inputs, its forward the table's own ``forward`` compiled on an array, its derivatives
    1 (``derivs`` None), ``Op.nb`` when the table has that numba form, else ``derivs`` called in object mode. The
    first kernel knows the first tape's kinds (quick to compile); the next one every op of the table, so a process
    compiles at most two for built-in ops. A tape keeps the kernel it was built with (codes never change)."""

    def __init__(self, numba, numpy) -> None:
        self.numba, self.np = numba, numpy
        self.helpers = _NumbaHelpers(numba)
        self.env: dict = {}  # ("variadic", op, arg is None) -> (forward, derivs) compiled, or None
        self.kinds: dict = {}  # key -> code
        self.sources: list = []  # per code: (key, forward, derivs) for templates, (key, None, None) for variadic
        self.kernel: tuple | None = None  # (forward, backward, number of codes it knows)
        self.whole_table = False

    def _add_table(self) -> None:
        # every op of the table becomes a kind: after the first kernel (the first tape's kinds only, quick to
        # compile), the second one serves any graph of built-in ops, so a process compiles at most two
        self.whole_table = True
        for op in list(_ops.OPS.values()):
            if op.py is not None and op.arity in (1, 2):
                self._add(*_numba_templates(op, op.arity, None if op.param is None else 1.0)[:3])
            elif op.arity == -1 and self._variadic(op, op.param is None) is not None:
                self._add((op, -1, op.param is None), None, None)

    def _variadic(self, op: _ops.Op, none_arg: bool) -> tuple | None:
        """``(forward, derivs)`` of a variadic op as compiled functions (derivs None: all 1), None if numba cannot."""
        key = ("variadic", op, none_arg)
        if key not in self.env:
            nb = self.numba
            try:
                fwd = nb.njit(error_model="numpy", inline="always")(_array_form(op.forward))
                fwd.compile((nb.float64[::1],))
            except Exception:  # numba's refusals share no base class: this op has no numba form
                self.env[key] = None
                return None
            form = getattr(op, "nb", None)  # Op.nb: the table's numba form of the derivatives, where it has one
            if op.derivs[0] is None:
                der = None
            elif form is not None:
                der = nb.njit(error_model="numpy", inline="always")(form)
            else:
                python = _python_derivs(op, none_arg)
                scope = {"objmode": nb.objmode, "_python": python}
                exec("def fill(x, out, arg, d):\n    with objmode():\n        _python(x, out, arg, d)\n",
                     scope)  # noqa: S102 - a fixed wrapper around the table's own derivatives
                der = nb.njit(scope["fill"])
            self.env[key] = (fwd, der)
        return self.env[key]

    def _add(self, key, fwd: str | None, derivs: tuple | None) -> int:
        code = self.kinds.get(key)
        if code is None:
            code = self.kinds[key] = len(self.sources)
            self.sources.append((key, fwd, derivs))
        return code

    def code(self, op: _ops.Op, n: int, arg, name: str) -> tuple:
        """``(code, runtime arg)`` of a node; CompileError for an op without a numba form."""
        if op.arity == -1:
            if self._variadic(op, arg is None) is None:
                raise CompileError(f'compile({name}, backend="numba"): numba cannot compile the forward function of '
                                   f'op {op.name!r}; use backend="python" or backend="numpy"')
            return self._add((op, -1, arg is None), None, None), (0.0 if arg is None else float(arg))
        if op.py is None:
            raise CompileError(
                f'compile({name}, backend="numba"): op {op.name!r} has no code templates (Op.py), so the numba '
                'kernel cannot run it (ops made with define_op have none); use backend="python" or '
                'backend="numpy", which call its forward and derivatives')
        key, fwd, derivs, a = _numba_templates(op, n, arg)
        return self._add(key, fwd, derivs), a

    def compiled(self, name: str, first_new: int) -> tuple:
        """The kernel pair for every code so far, compiled anew when kinds were added. Codes from ``first_new`` on
        are the new ones of the tape being built: on a numba refusal they are named in the error and dropped."""
        if self.kernel is None or self.kernel[2] < len(self.sources):
            table = self.kernel is not None and not self.whole_table
            try:
                if table:
                    self._add_table()
                fwd, bwd = self._compile()
            except Exception as e:  # numba's refusals (typing, lowering, bytecode) share no base class
                self.whole_table = self.whole_table and not table
                new = sorted({key[0].name for key, _f, _d in self.sources[first_new:]})
                del self.sources[first_new:]
                for key in [k for k, c in self.kinds.items() if c >= first_new]:
                    del self.kinds[key]
                reason = (str(e).strip().splitlines() or [""])[0][:200]
                raise CompileError(
                    f'compile({name}, backend="numba"): numba could not compile the kernel for op(s) '
                    f"{', '.join(new) or '(none new)'} ({type(e).__name__}: {reason}); use backend=\"python\" or "
                    'backend="numpy"') from None
            self.kernel = (fwd, bwd, len(self.sources))
        return self.kernel[0], self.kernel[1]

    def _compile(self) -> tuple:
        """Generate and compile the interpreter: one branch per code (templates inlined, variadic ops as loops)."""
        fl = ["def forward(V, code, out, ptr, I, A, buf):",
              "    for e in range(code.shape[0]):",
              f"        k = code[e]\n        p = ptr[e]\n        {_ARG} = A[e]"]
        bl = ["def backward(V, G, code, out, ptr, I, A, order, needs, buf, dbuf):",
              "    for j in range(order.shape[0]):",
              f"        e = order[j]\n        k = code[e]\n        p = ptr[e]\n        {_ARG} = A[e]",
              "        o = out[e]\n        g = G[o]\n        r = V[o]"]
        gather = ["            m = ptr[e + 1] - p", "            for q in range(m):",
                  "                buf[q] = V[I[p + q]]"]
        env: dict = {}
        for c, (key, fwd, derivs) in enumerate(self.sources):
            head = f"        {'if' if c == 0 else 'elif'} k == {c}:"
            if key[1] == -1:
                f, d = self._variadic(key[0], key[2])
                env[f"_F{c}"] = f
                fl += [head, *gather, f"            buf[m] = {_ARG}", f"            V[out[e]] = _F{c}(buf[:m + 1])"]
                if d is None:
                    bl += [head, "            for q in range(ptr[e + 1] - p):", "                i = I[p + q]",
                           "                if needs[i]: G[i] += g"]
                else:
                    env[f"_D{c}"] = d
                    bl += [head, *gather, f"            _D{c}(buf[:m], r, {_ARG}, dbuf[:m])",
                           "            for q in range(m):", "                i = I[p + q]",
                           "                if needs[i]: G[i] += g * dbuf[q]"]
                continue
            n = key[1]
            loads = [f"            x{i} = V[I[p + {i}]]" for i in range(n)]
            fl += [head, *loads, f"            V[out[e]] = {fwd}"]
            bl += [head, *loads]
            for i, d in enumerate(derivs):
                term = "g" if d is None else f"g * ({d})"
                bl += [f"            i = I[p + {i}]", f"            if needs[i]: G[i] += {term}"]
        finite = ["    for s in range({0}.shape[0]):", "        if not math_isfinite({0}[s]):",
                  "            return False", "    return True"]
        source = "\n".join(fl + [f.format("V") for f in finite] + bl + [f.format("G") for f in finite]) + "\n"
        env.update(self.helpers.used_by([source]))
        exec(builtins.compile(source, "<autograd_core.compile numba kernel>", "exec"), env)  # noqa: S102
        nb = self.numba
        f64, i64 = nb.float64[::1], nb.int64[::1]
        fwd = nb.njit(nb.boolean(f64, i64, i64, i64, i64, f64, f64), error_model="numpy")(env["forward"])
        bwd = nb.njit(nb.boolean(f64, f64, i64, i64, i64, i64, f64, i64, nb.uint8[::1], f64, f64),
                      error_model="numpy")(env["backward"])
        return fwd, bwd


def _numba_kernels() -> _NumbaKernels:
    with _numba_lock:
        if not _numba_state:
            _numba_state.append(_NumbaKernels(*_import_numba()))
        return _numba_state[0]


def _numba_codes(tape: _Tape, name: str) -> tuple:
    """Codes and runtime args of the tape's nodes, and the kernel that knows them (compiled before graph mode's
    backward runs, so a refusal leaves no gradient written)."""
    state = _numba_kernels()
    with _numba_lock:
        first_new = len(state.sources)
        try:
            codes = [state.code(op, len(ins), arg, name) for _o, op, ins, arg in tape.forward]
        except CompileError:
            del state.sources[first_new:]
            for key in [k for k, c in state.kinds.items() if c >= first_new]:
                del state.kinds[key]
            raise
        fwd, bwd = state.compiled(name, first_new)
    return codes, fwd, bwd


def _numba_backend(tape: _Tape, codes: list, fwd: Callable, bwd: Callable) -> Callable:
    """The tape as op-code arrays replayed by the process's njit interpreter; guards checked between forward and
    backward; a non-finite number falls back to the Python replay (which raises what graph mode raises)."""
    np = _numba_kernels().np
    n, out_slot, guards = tape.n, tape.out, tape.guards
    entry = {o: e for e, (o, _op, _ins, _arg) in enumerate(tape.forward)}
    code = np.array([c for c, _a in codes], dtype=np.int64)
    args = np.array([a for _c, a in codes], dtype=np.float64)
    outs = np.array([o for o, _op, _ins, _arg in tape.forward], dtype=np.int64)
    sizes = [len(ins) for _o, _op, ins, _arg in tape.forward]
    ptr = np.zeros(len(sizes) + 1, dtype=np.int64)  # node e's inputs are I[ptr[e]:ptr[e + 1]]
    ptr[1:] = np.cumsum(sizes)
    width = 1 + max([k for k in sizes], default=0)  # scratch for a variadic node's inputs (and its arg)
    I = np.array([i for _o, _op, ins, _arg in tape.forward for i in ins], dtype=np.int64)  # noqa: E741
    order = np.array([entry[o] for o, _op, _ins, _arg in tape.backward if tape.needs[o]], dtype=np.int64)
    needs = np.array(tape.needs, dtype=np.uint8)
    in_slots = np.array([s for s, _ in tape.inputs], dtype=np.int64)
    in_index = np.array([i for _, i in tape.inputs], dtype=np.int64)
    const_slots = np.array([s for s, _ in tape.consts], dtype=np.int64)
    const_vals = np.array([c for _, c in tape.consts], dtype=np.float64)
    p_slots = np.array(tape.param_slots, dtype=np.int64)
    root_is_param = out_slot in set(tape.param_slots)
    aux = np.array(tape.aux, dtype=np.int64)
    spare = _Tape()  # what the Python fallback is built from, on first need (the tape would be a cycle via run)
    for field in _Tape.__slots__:
        if field != "run" and hasattr(tape, field):
            setattr(spare, field, getattr(tape, field))
    fallback: list = [spare]

    def python_replay(A, P):
        if type(fallback[0]) is _Tape:
            t = fallback[0]
            fallback[0] = _generate(t) if t.n <= MAX_GENERATED else _interpreter(t)
        return fallback[0](A, P)

    def run(A, P):
        V = np.zeros(n)
        if len(in_slots):
            V[in_slots] = np.array(A, dtype=np.float64)[in_index]
        V[const_slots] = const_vals
        if P:
            V[p_slots] = [p.data for p in P]
        buf = np.empty(width)
        if not fwd(V, code, outs, ptr, I, args, buf):
            return python_replay(A, P)
        if guards and not _guards_hold(guards, V):
            return _FAIL
        G = np.zeros(n)
        if P:
            G[p_slots] = [0.0 if g is None else g for g in [p.grad for p in P]]
        if root_is_param:
            G[out_slot] += 1.0
        else:
            G[out_slot] = 1.0
        if not bwd(V, G, code, outs, ptr, I, args, order, needs, buf, np.empty(width)):
            return python_replay(A, P)
        if P:
            for p, gp in zip(P, G[p_slots].tolist()):
                p.grad = gp
        return V.item(out_slot), V[aux].tolist()

    return run


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
        if backend not in ("python", "numpy", "interpret", "numba"):
            raise ValueError(f"compile: backend must be 'python', 'numpy', 'numba' or 'interpret', got {backend!r}")
        if backend == "numpy":
            try:
                import numpy  # noqa: F401
            except ImportError:
                raise ImportError("compile(backend='numpy') needs numpy: pip install numpy (or use the default "
                                  "backend='python', which has no dependency)") from None
        if backend == "numba":
            _import_numba()
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
        tape, weak = _lower(out, trace.guards, leaves, value_params, aux)
        if self.backend == "numba":
            kernel = _numba_codes(tape, self.name)  # before graph mode's backward: a refusal writes no gradient
        self.traces += 1
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
        elif self.backend == "numba":
            tape.run = _numba_backend(tape, *kernel)
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
    ``(loss, [floats])``: values to look at without a guard. ``backend`` is ``"python"`` (no dependency,
    bit-identical), ``"interpret"``, ``"numpy"`` (within 1e-12) or ``"numba"`` (bit-identical, compiled; its first
    call compiles a kernel). Usable as ``@compile`` or ``@compile(backend="numpy")``. See the module docstring for
    backends, guards and limits.
    """
    if f is None:
        return lambda g: Compiled(g, backend, max_tapes, static_argnums, has_aux)
    return Compiled(f, backend, max_tapes, static_argnums, has_aux)
