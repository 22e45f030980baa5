"""``python -m benchmarks``: autograd-core against micrograd 0.1.0 and PyTorch 0-d tensors, in one process.

Same inputs for everyone:

1. micrograd's demo training step (``MLP(2, [16, 16, 1])``, 100 two-moons points with noise 0.1 and numpy seed
   1337, hinge loss + ``1e-4 Σ p²``, SGD with lr ``1 - 0.9 k / 100``), from micrograd's initial weights:
   median time per step of autograd-core, micrograd and PyTorch float64 0-d tensors, and the ratios
   (``benchmarks.training.run`` for micrograd, ``benchmarks.peers.run`` for PyTorch);
2. our loss trajectory against micrograd's over the 100 steps, to 1e-9;
3. build + backward cost per op node and memory per op node against micrograd, and a chain of 10^4 vs 10^6 nodes
   (``benchmarks.engine.run``).

Timings run with the garbage collector enabled. Missing peers (micrograd, torch) are skipped with a note. Prints a
markdown table with the targets marked met or MISSED, and writes every figure as JSON (atomically).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

from autograd_core import atomic_write

from . import engine, peers, training

__all__ = ["TARGETS", "main", "measure", "machine", "markdown", "write_json"]

TARGETS = {
    "step_speedup_vs_micrograd": 10.0,  # at least, per micrograd demo step
    "step_speedup_vs_torch": 10.0,  # at least, per micrograd demo step, PyTorch 0-d float64 tensors
    "memory_vs_micrograd": 1 / 3,  # at most, our bytes per node / micrograd's
    "loss_trajectory": peers.LOSS_TOLERANCE,  # at most, largest |our loss - micrograd's loss| over the steps
}
DEFAULT_JSON = Path("benchmarks") / "results" / "benchmark.json"
DATA_SEED = 1337  # micrograd's demo: np.random.seed(1337) before make_moons
_QUICK_NOTE = " QUICK RUN: smoke figures, not the published ones."


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict:
    """Where the benchmark ran: CPU, cores, OS, Python, peers' versions, load average."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        load = None
    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "load_average": load}


def measure(quick: bool = False, steps: int | None = None, torch_steps: int | None = None) -> dict:
    """Run the three benchmarks and return every figure with the targets' verdicts.

    Full: 100 training steps (micrograd comparison and trajectory), 10 PyTorch steps, the engine benchmark's
    defaults (a 40,000-term tree, chains of 10^4 and 10^6). Quick: 5 steps, 2 PyTorch steps, a 5,000-term tree and
    chains of 10^4 and 10^5 (a smoke run; its figures are not the published ones).
    """
    steps = steps if steps is not None else (5 if quick else 100)
    torch_steps = torch_steps if torch_steps is not None else (2 if quick else 10)
    info = machine()
    started = time.perf_counter()
    # import every peer and load the data first, then freeze those objects out of the cyclic collector: they never
    # become garbage, and no library should pay for walking the others' modules (torch alone brings ~100 000
    # objects). The collector stays on for everything created while timing.
    peers.torch_or_note()
    engine._micrograd()
    X, y, _ = training.make_moons(100, 0.1, DATA_SEED)
    already_frozen = gc.get_freeze_count() > 0  # a caller that froze objects itself keeps its own arrangement
    if not already_frozen:
        gc.collect()
        gc.freeze()
    try:
        _log(f"micrograd's demo step: autograd-core vs micrograd, {steps} steps ...")
        train = training.run(steps=steps, seed=peers.SEED, data_seed=DATA_SEED)
        _log(f"micrograd's demo step: autograd-core vs PyTorch 0-d tensors, {torch_steps} steps ...")
        torch = peers.run(X, y, steps=torch_steps, seed=peers.SEED, log=_log)
        _log("engine: build + backward per node, memory per node, chains ...")
        if quick:
            eng = engine.run(repeats=2, micrograd_repeats=1, n_terms=5000, chain_sizes=(10 ** 4, 10 ** 5),
                             log=_log)
        else:
            eng = engine.run(log=_log)
    finally:
        if not already_frozen:
            gc.unfreeze()
    info["load_average_after"] = machine()["load_average"]
    results = {"quick": quick, "machine": info, "seconds": time.perf_counter() - started, "training": train,
               "torch": torch, "engine": eng}
    results["targets"] = verdicts(results)
    return results


def verdicts(results: dict) -> list:
    """One entry per target: name, wanted, measured value (None when a peer is absent), met (None: not measured)."""
    train, torch, eng = results["training"], results["torch"], results["engine"]
    out = []

    def add(name: str, wanted: str, value, met) -> None:
        out.append({"target": name, "wanted": wanted, "value": value, "met": met})

    s = train.get("speedup")
    add("faster than micrograd per demo step", f">= {TARGETS['step_speedup_vs_micrograd']:g}x", s,
        None if s is None else s >= TARGETS["step_speedup_vs_micrograd"])
    s = torch.get("speedup")
    add("faster than PyTorch 0-d tensors per demo step", f">= {TARGETS['step_speedup_vs_torch']:g}x", s,
        None if s is None else s >= TARGETS["step_speedup_vs_torch"])
    mem = eng.get("memory", {})
    ratio = None
    if mem.get("micrograd_bytes_per_node"):
        ratio = mem["ours_bytes_per_node"] / mem["micrograd_bytes_per_node"]
    add("memory per node vs micrograd's", "<= 1/3", ratio, None if ratio is None else ratio <= TARGETS[
        "memory_vs_micrograd"])
    diff = train.get("max_loss_diff") if train.get("micrograd_losses") else None
    add(f"loss trajectory equals micrograd's over {train['steps']} steps", f"<= {TARGETS['loss_trajectory']:g}",
        diff, None if diff is None else diff <= TARGETS["loss_trajectory"])
    return out


def _verdict(met) -> str:
    return "not measured" if met is None else ("met" if met else "**MISSED**")


def _ms(x) -> str:
    return "skipped" if x is None else f"{x:.1f} ms"


def markdown(results: dict) -> str:
    """The figures as a markdown table (targets with met / MISSED), the machine, and notes."""
    train, torch, eng, m = results["training"], results["torch"], results["engine"], results["machine"]
    tree, mem, chain = eng["tree"], eng["memory"], eng["chain"]
    targets = {t["target"]: t for t in results["targets"]}
    t_micro = targets["faster than micrograd per demo step"]
    t_torch = targets["faster than PyTorch 0-d tensors per demo step"]
    t_mem = targets["memory per node vs micrograd's"]
    t_loss = next(t for name, t in targets.items() if name.startswith("loss trajectory"))
    torch_name = f"PyTorch {torch['torch']} (0-d float64)" if torch["torch"] else "PyTorch (0-d float64)"
    rows = [
        f"| figure | autograd-core | {('micrograd ' + (eng.get('micrograd') or '')).strip()} | {torch_name} | target "
        "| result |",
        "|---|---|---|---|---|---|",
        f"| micrograd's demo training step, median of {train['steps']} (run A) | {_ms(train['ours_ms'])} | "
        f"{_ms(train['micrograd_ms'])} | | | |",
        f"| speedup per step vs micrograd (run A) | {_x(train['speedup'])} | {_one(train['speedup'])} | | "
        f"{t_micro['wanted']} | "
        f"{_verdict(t_micro['met'])} |",
        f"| micrograd's demo training step, median of {torch['steps']} (run B) | {_ms(torch['ours_ms'])} | | "
        f"{_ms(torch['torch_ms'])} | | |",
        f"| speedup per step vs PyTorch 0-d tensors (run B) | {_x(torch['speedup'])} | | {_one(torch['speedup'])} | "
        f"{t_torch['wanted']} | "
        f"{_verdict(t_torch['met'])} |",
        f"| loss trajectory, largest difference over {train['steps']} steps | | "
        f"{_e(t_loss['value'])} | {_e(torch['max_loss_diff'])} ({torch['steps']} steps) | {t_loss['wanted']} | "
        f"{_verdict(t_loss['met'])} |",
        f"| build + backward per op node (relu tree, {tree['nodes']:,} nodes) | {tree['ours_us_per_node']:.2f} us | "
        f"{_us(tree.get('micrograd_us_per_node'))} | | | |",
        f"| memory per op node (tracemalloc) | {mem['ours_bytes_per_node']:.0f} B | "
        f"{_b(mem.get('micrograd_bytes_per_node'))} | not measured | {t_mem['wanted']} of micrograd's | "
        f"{_ratio(t_mem['value'])}{_verdict(t_mem['met'])} |",
        f"| chain of {chain['small_nodes'] - 1:,} tanh nodes, build + backward per node | "
        f"{chain['small_us_per_node']:.2f} us | | | | |",
        f"| chain of {chain['large_nodes'] - 1:,} tanh nodes, build + backward per node | "
        f"{chain['large_us_per_node']:.2f} us ({chain['ratio']:.2f}x the short chain's) | | | "
        f"<= {engine.TARGETS['chain_ratio']:g}x | {_verdict(chain['ratio'] <= engine.TARGETS['chain_ratio'])} |",
    ]
    notes = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['os']}, {m['implementation']} {m['python']}; load average "
        f"{m['load_average']} before, {m.get('load_average_after')} after. Garbage collector enabled while timing; "
        "PyTorch limited to 1 thread." + (_QUICK_NOTE if results["quick"] else ""),
        "Run A (benchmarks.training): the libraries take turns step by step, gc.collect() before each step, "
        "outside the timing. Run B (benchmarks.peers): turns step by step, the collector never forced, its "
        "collections timed where they fall. The objects of the imported libraries and the data are frozen out "
        "of the collector (gc.freeze()) before timing, as if each library ran in a process of its own.",
        f"autograd-core's step uses nn's default per-layer scopes; with scopes='none' it takes "
        f"{_ms(train.get('ours_noscope_ms'))} (run A). PyTorch builds the same scalar graph, one 0-d tensor per "
        "weight (its intended use, batched tensors, is a different program).",
    ]
    for note in (train.get("note"), torch.get("note"), eng.get("note")):
        if note:
            notes.append(f"Note: {note}.")
    return "\n".join(rows) + "\n\n" + "\n".join(notes)


def _one(v) -> str:
    return "" if v is None else "1x"


def _ratio(v) -> str:
    return "" if v is None else f"{v:.2f}: "


def _x(v) -> str:
    return "skipped" if v is None else f"{v:.1f}x"


def _e(v) -> str:
    return "skipped" if v is None else f"{v:.1e}"


def _us(v) -> str:
    return "skipped" if v is None else f"{v:.2f} us"


def _b(v) -> str:
    return "skipped" if v is None else f"{v:.0f} B"


def write_json(results: dict, path: Path) -> Path:
    """Write ``results`` to ``path`` as JSON via a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2, allow_nan=False)
    return atomic_write(path, text + "\n")


def main(argv: list | None = None) -> int:
    """Command line: run everything, print the markdown table, write the JSON. Exit status 0 (targets are reported,
    not enforced: timings depend on the machine)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run in well under a minute (5 steps, small "
                        "graphs); its figures are not the published ones")
    parser.add_argument("--json", metavar="PATH", type=Path, default=DEFAULT_JSON,
                        help=f"where to write the figures as JSON (default {DEFAULT_JSON})")
    parser.add_argument("--steps", type=int, default=None, help="training steps for the micrograd comparison and "
                        "the loss trajectory (default 100; --quick: 5)")
    parser.add_argument("--torch-steps", type=int, default=None, help="PyTorch steps timed (default 10; --quick: 2)")
    args = parser.parse_args(argv)
    for name in ("steps", "torch_steps"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if args.json.exists() and args.json.is_dir():
        parser.error(f"--json {str(args.json)!r} is a folder; give a file path such as {DEFAULT_JSON}")
    results = measure(args.quick, args.steps, args.torch_steps)
    print(markdown(results))
    path = write_json(results, args.json)
    print(f"\nfigures written to {path} ({results['seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
