"""Each contender in its own process: ``python -m benchmarks.contenders WORKLOAD ENGINE [--steps N]``.

Prints one JSON object: the median time per step (ms, gc enabled), every loss, and for compiled engines the
time of the first call (trace + lowering + code generation + that step). :func:`run_all` starts one subprocess per
(workload, engine) and round, so no library pays for another's garbage or imports, and every ratio comes from one
run; the rounds are interleaved, and each contender's fastest round counts, so that a slow spell of a shared machine
weighs on no contender more than on another.

Workloads:

* ``demo``: micrograd's demo training step (``MLP(2, [16, 16, 1])`` from micrograd's initial weights, 100 two-moons
  points, hinge loss + ``1e-4 Σ p²``, SGD with ``1 - 0.9 k / 100``).
  Engines: ``ours`` (``nn``, graph mode), ``ours-user`` (micrograd's own demo code, unchanged, on our ``Value``),
  ``compiled`` / ``compiled-numpy`` / ``compiled-numba`` (``autograd_core.compile`` of the loss with that backend,
  SGD outside; numba's row is skipped with a note where numba is not installed), ``micrograd``,
  ``microgpt`` (the same unchanged user code on :class:`MicroValue`), ``torch`` (0-d float64 tensors),
  ``numpy`` (the same step as batched matrices: the limit row).
* ``gpt``: a microgpt-style GPT training step (:func:`gpt_step`), unchanged user code on ``ours`` and ``microgpt``.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import statistics
import subprocess
import sys
import time

__all__ = ["MicroValue", "ENGINES", "gpt_model", "gpt_step", "run_one", "run_all"]

ALPHA = 1e-4
SEED = 1337
DATA_SEED = 1337
ENGINES = {"demo": ("ours", "ours-user", "compiled", "compiled-numpy", "compiled-numba", "micrograd", "microgpt",
                     "torch", "numpy"),
           "gpt": ("ours", "microgpt")}


class MicroValue:
    """A minimal scalar engine of the design of the ``Value`` in Karpathy's microgpt.py (February 2026).

    What it reproduces: no closures; each op stores its children and its *local derivatives* as tuples when it runs
    (``_local_grads``); backward builds the topological order by a *recursive* depth-first search with a visited
    set, then applies ``child.grad += local_grad * v.grad`` in reverse. Subtraction and division are written, as
    there, through negation and ``** -1``.
    """

    __slots__ = ("data", "grad", "_children", "_local_grads")

    def __init__(self, data, children=(), local_grads=()):
        self.data = data
        self.grad = 0
        self._children = children
        self._local_grads = local_grads

    def __add__(self, other):
        other = other if isinstance(other, MicroValue) else MicroValue(other)
        return MicroValue(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other):
        other = other if isinstance(other, MicroValue) else MicroValue(other)
        return MicroValue(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, other):
        return MicroValue(self.data ** other, (self,), (other * self.data ** (other - 1),))

    def log(self):
        return MicroValue(math.log(self.data), (self,), (1 / self.data,))

    def exp(self):
        return MicroValue(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self):
        return MicroValue(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad


# --------------------------------------------------------------------------------------------- the demo step
def _moons():
    from .training import make_moons

    return make_moons(100, 0.1, DATA_SEED)[:2]


def _micrograd_weights() -> list:
    """micrograd's initial weights for its demo MLP: per layer, per neuron, (w list, b)."""
    from .training import micrograd_model

    m = micrograd_model(SEED)
    return [[([float(w.data) for w in n.w], float(n.b.data)) for n in layer.neurons] for layer in m.layers]


class _UserMLP:
    """micrograd's demo MLP written as user code (micrograd's nn.py: ``sum((w*x ...), b)``, relu hidden layers),
    over any Value class: the same code runs unchanged on micrograd, on our Value and on :class:`MicroValue`."""

    def __init__(self, V, weights: list) -> None:
        self.layers = [[([V(w) for w in ws], V(b)) for ws, b in layer] for layer in weights]

    def __call__(self, x):
        last = len(self.layers) - 1
        for li, layer in enumerate(self.layers):
            out = []
            for ws, b in layer:
                act = sum((wi * xi for wi, xi in zip(ws, x)), b)
                out.append(act.relu() if li != last else act)
            x = out
        return x[0]

    def parameters(self) -> list:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]


def _demo(engine: str):
    """``(step(k) -> loss, label)`` for one engine of the demo workload, from micrograd's initial weights."""
    X, y = _moons()
    weights = _micrograd_weights()
    if engine in ("ours-user", "microgpt", "micrograd"):
        if engine == "micrograd":
            from micrograd.engine import Value as V
        elif engine == "microgpt":
            V = MicroValue
        else:
            from autograd_core import Value as V
        model = _UserMLP(V, weights)
        from .training import micrograd_demo_step

        return lambda k: micrograd_demo_step(V, model, X, y, k)
    if engine == "torch":
        import torch

        torch.set_num_threads(1)
        from . import peers

        model = _our_model(weights)
        layers, params = peers.torch_params(torch, model)
        return lambda k: peers.torch_step(torch, layers, params, X, y, k)
    if engine == "numpy":
        return _numpy_demo(weights, X, y)
    import autograd_core as ag
    import nn
    from nn.losses import hinge, l2_penalty

    model = _our_model(weights)
    params = model.parameters()
    opt = nn.SGD(params, lr=lambda k: 1.0 - 0.9 * k / 100)

    def loss(X):
        return ag.sum([hinge(model(x), t) for x, t in zip(X, y)]) * (1.0 / len(X)) + l2_penalty(params, 2.0 * ALPHA)

    if engine == "ours":
        def step(k):
            total = loss(X)
            opt.zero_grad()
            total.backward()
            opt.step()
            return total.data

        return step
    from autograd_core.compile import compile as ag_compile

    backend = {"compiled-numpy": "numpy", "compiled-numba": "numba"}.get(engine, "python")
    compiled = ag_compile(loss, backend=backend)

    def compiled_step(k):
        opt.zero_grad()
        value = compiled(X)
        opt.step()
        return value

    return compiled_step


def _our_model(weights: list):
    import nn

    from .training import copy_micrograd_weights

    model = nn.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=SEED)

    class _Source:  # micrograd's layout (layers[l].neurons[j].w / .b) over the plain weights
        def __init__(self, weights):
            self.layers = [type("L", (), {"neurons": [type("N", (), {"w": [_F(w) for w in ws], "b": _F(b)})()
                                                      for ws, b in layer]})() for layer in weights]

    copy_micrograd_weights(_Source(weights), model)
    return model


class _F:
    __slots__ = ("data",)

    def __init__(self, data: float) -> None:
        self.data = data


def _numpy_demo(weights: list, X: list, y: list):
    """The same step as batched numpy matrices, backward by hand: the limit for this model here."""
    import numpy as np

    Ws = [np.array([ws for ws, _ in layer]) for layer in weights]
    bs = [np.array([b for _, b in layer]) for layer in weights]
    Xa, ya = np.array(X), np.array(y)

    def step(k):
        acts, a = [Xa], Xa
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = a @ W.T + b
            a = np.maximum(z, 0.0) if i < len(Ws) - 1 else z
            acts.append(a)
        s = a[:, 0]
        margin = 1.0 - ya * s
        n = len(ya)
        data_loss = np.maximum(margin, 0.0).sum() / n
        reg = ALPHA * sum((W * W).sum() + (b * b).sum() for W, b in zip(Ws, bs))
        g = np.where(margin > 0.0, -ya / n, 0.0)[:, None]
        lr = 1.0 - 0.9 * k / 100
        for i in range(len(Ws) - 1, -1, -1):
            gW, gb = g.T @ acts[i] + 2 * ALPHA * Ws[i], g.sum(axis=0) + 2 * ALPHA * bs[i]
            if i:
                g = (g @ Ws[i]) * (acts[i] > 0.0)
            Ws[i] -= lr * gW
            bs[i] -= lr * gb
        return float(data_loss + reg)

    return step


# --------------------------------------------------------------------------------------------- the GPT step
N_EMBD, N_HEAD, N_LAYER, BLOCK = 16, 4, 1, 16
WORDS = ("emma olivia ava isabella sophia charlotte mia amelia harper evelyn abigail emily elizabeth mila ella "
         "avery sofia camila aria scarlett victoria madison luna grace chloe penelope layla riley zoey nora").split()


def gpt_model(V, seed: int = 42) -> dict:
    """microgpt's parameters (token and position embeddings, attention, MLP, lm head) as V leaves, seeded."""
    rng = random.Random(seed)
    chars = sorted(set("".join(WORDS)))
    vocab = len(chars) + 1  # + BOS

    def matrix(rows, cols, std=0.08):
        return [[V(rng.gauss(0, std)) for _ in range(cols)] for _ in range(rows)]

    sd = {"wte": matrix(vocab, N_EMBD), "wpe": matrix(BLOCK, N_EMBD), "lm_head": matrix(vocab, N_EMBD)}
    for i in range(N_LAYER):
        for name in ("wq", "wk", "wv", "wo"):
            sd[f"l{i}.{name}"] = matrix(N_EMBD, N_EMBD)
        sd[f"l{i}.fc1"] = matrix(4 * N_EMBD, N_EMBD)
        sd[f"l{i}.fc2"] = matrix(N_EMBD, 4 * N_EMBD)
    params = [p for mat in sd.values() for row in mat for p in row]
    return {"sd": sd, "params": params, "chars": chars, "bos": len(chars), "m": [0.0] * len(params),
            "v": [0.0] * len(params)}


def _linear(x, w):
    return [sum(wi * xi for wi, xi in zip(wo, x)) for wo in w]


def _softmax(logits):
    max_val = max(val.data for val in logits)
    exps = [(val - max_val).exp() for val in logits]
    total = sum(exps)
    return [e / total for e in exps]


def _rmsnorm(x):
    ms = sum(xi * xi for xi in x) / len(x)
    scale = (ms + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def _gpt(sd, token_id, pos_id, keys, values):
    head_dim = N_EMBD // N_HEAD
    x = [t + p for t, p in zip(sd["wte"][token_id], sd["wpe"][pos_id])]
    x = _rmsnorm(x)
    for li in range(N_LAYER):
        x_residual = x
        x = _rmsnorm(x)
        q, k, v = _linear(x, sd[f"l{li}.wq"]), _linear(x, sd[f"l{li}.wk"]), _linear(x, sd[f"l{li}.wv"])
        keys[li].append(k)
        values[li].append(v)
        x_attn = []
        for h in range(N_HEAD):
            hs = h * head_dim
            q_h = q[hs:hs + head_dim]
            k_h = [ki[hs:hs + head_dim] for ki in keys[li]]
            v_h = [vi[hs:hs + head_dim] for vi in values[li]]
            logits = [sum(q_h[j] * k_h[t][j] for j in range(head_dim)) / head_dim ** 0.5 for t in range(len(k_h))]
            weights = _softmax(logits)
            x_attn.extend(sum(weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(head_dim))
        x = _linear(x_attn, sd[f"l{li}.wo"])
        x = [a + b for a, b in zip(x, x_residual)]
        x_residual = x
        x = _rmsnorm(x)
        x = [xi.relu() for xi in _linear(x, sd[f"l{li}.fc1"])]
        x = _linear(x, sd[f"l{li}.fc2"])
        x = [a + b for a, b in zip(x, x_residual)]
    return _linear(x, sd["lm_head"])


def gpt_step(model: dict, step: int, num_steps: int = 1000, lr: float = 0.01) -> float:
    """One microgpt training step on the word ``WORDS[step % len(WORDS)]``: forward over the (BOS-framed) tokens,
    mean log loss, backward, Adam. Uses only ``+ - * / ** exp log relu``, builtin ``sum``, ``.data`` and ``.grad``."""
    word = WORDS[step % len(WORDS)]
    tokens = [model["bos"]] + [model["chars"].index(c) for c in word] + [model["bos"]]
    n = min(BLOCK, len(tokens) - 1)
    keys, values = [[] for _ in range(N_LAYER)], [[] for _ in range(N_LAYER)]
    losses = []
    for pos_id in range(n):
        logits = _gpt(model["sd"], tokens[pos_id], pos_id, keys, values)
        probs = _softmax(logits)
        losses.append(-probs[tokens[pos_id + 1]].log())
    loss = (1 / n) * sum(losses)
    loss.backward()
    lr_t = lr * (1 - step / num_steps)
    b1, b2, eps = 0.85, 0.99, 1e-8
    m, v = model["m"], model["v"]
    for i, p in enumerate(model["params"]):
        m[i] = b1 * m[i] + (1 - b1) * p.grad
        v[i] = b2 * v[i] + (1 - b2) * p.grad ** 2
        m_hat = m[i] / (1 - b1 ** (step + 1))
        v_hat = v[i] / (1 - b2 ** (step + 1))
        p.data -= lr_t * m_hat / (v_hat ** 0.5 + eps)
        p.grad = 0
    return loss.data


def _gpt_engine(engine: str):
    if engine == "microgpt":
        V = MicroValue
    else:
        from autograd_core import Value as V
    model = gpt_model(V)
    return lambda k: gpt_step(model, k)


# --------------------------------------------------------------------------------------------- running
def run_one(workload: str, engine: str, steps: int) -> dict:
    """Time ``steps`` steps of one (workload, engine) in this process (gc enabled); the first call is timed apart
    (for compiled engines it traces, lowers and generates code)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 100_000))  # MicroValue's recursive topological sort
    step = _demo(engine) if workload == "demo" else _gpt_engine(engine)
    gc.collect()
    gc.freeze()  # setup objects (imports, data, parameters) never become garbage: not the step's to walk
    t = time.perf_counter()
    losses = [float(step(0))]
    first = time.perf_counter() - t
    times = []
    for k in range(1, steps + 1):
        t = time.perf_counter()
        losses.append(float(step(k)))
        times.append(time.perf_counter() - t)
    return {"workload": workload, "engine": engine, "steps": steps, "ms": statistics.median(times) * 1e3,
            "first_ms": first * 1e3, "losses": losses}


def run_all(steps: int = 9, gpt_steps: int = 5, engines: dict | None = None, log=None, rounds: int = 3) -> dict:
    """Every (workload, engine) in its own subprocess, ``rounds`` times, the rounds interleaved (each round runs
    every contender once); returns ``{workload: {engine: figures or {"note": ...}}}`` where the figures are those of
    the contender's fastest round, and ``"rounds_ms"`` lists every round's median step time. On a shared machine
    a neighbour's load only ever adds time, and it comes and goes within seconds: the fastest round is the estimate
    least disturbed by it, taken alike for every contender."""
    runs: dict = {}
    for r in range(rounds):
        for workload, names in (engines or ENGINES).items():
            for engine in names:
                if log:
                    log(f"  {workload} / {engine} (own process, round {r + 1} of {rounds}) ...")
                n = steps if workload == "demo" else gpt_steps
                if engine in ("micrograd", "torch"):
                    n = max(1, n // 3)  # a second per step: fewer steps, the same median
                elif engine.startswith("compiled") or engine == "numpy":
                    n = 5 * n  # milliseconds per step: more steps for a stable median
                cmd = [sys.executable, "-m", "benchmarks.contenders", workload, engine, "--steps", str(n)]
                done = subprocess.run(cmd, capture_output=True, text=True)
                if done.returncode != 0:
                    last = (done.stderr.strip().splitlines() or ["failed"])[-1]
                    figures = {"note": f"{engine} skipped: {last[:160]}"}
                else:
                    figures = json.loads(done.stdout.strip().splitlines()[-1])
                runs.setdefault(workload, {}).setdefault(engine, []).append(figures)
    out: dict = {}
    for workload, by_engine in runs.items():
        out[workload] = {}
        for engine, results in by_engine.items():
            timed = sorted((r for r in results if "ms" in r), key=lambda r: r["ms"])
            if not timed:
                out[workload][engine] = results[0]
                continue
            fastest = dict(timed[0])
            fastest["rounds_ms"] = [r["ms"] for r in results if "ms" in r]
            out[workload][engine] = fastest
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.contenders", description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(ENGINES))
    parser.add_argument("engine")
    parser.add_argument("--steps", type=int, default=9)
    args = parser.parse_args(argv)
    if args.engine not in ENGINES[args.workload]:
        parser.error(f"engine {args.engine!r} is not one of {ENGINES[args.workload]} for {args.workload}")
    print(json.dumps(run_one(args.workload, args.engine, args.steps)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
