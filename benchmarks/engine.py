"""Engine benchmark against micrograd 0.1.0, measured in one run: ``python -m benchmarks.engine``.

Figures (all with Python's garbage collector ENABLED while timing, as users run it; ``gc.collect()`` runs before
each timed repeat so that one repeat's garbage is not charged to the next):

(a) build + backward of a sum of 40,000 ``relu(w * x)`` terms, added as a balanced tree (so micrograd's recursive
    topological sort copes): median time for each engine, the ratio, and microseconds per node;
(b) memory per node (tracemalloc: bytes still allocated after build + backward, divided by the node count);
(c) our chain of 10^4 vs 10^6 ``tanh`` nodes: build + backward time per node, and the ratio.

Freeing the graph is not timed (for either engine). micrograd is skipped with a note when it is not installed
(``pip install micrograd==0.1.0``). ``run()`` returns the figures as a dict; ``main()`` prints a markdown table with
the targets next to them.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

from autograd_core import Value

__all__ = ["TARGETS", "run", "main", "tree_graph", "chain_graph"]

TARGETS = {
    "speedup_vs_micrograd": 5.0,  # at least this many times faster on the relu tree
    "bytes_per_node": 220.0,  # at most
    "chain_ratio": 1.5,  # 10^6 chain time per node within this factor of the 10^4 chain's
}

N_TERMS = 40_000


def _micrograd() -> tuple:
    """(micrograd's Value class or None, version or a note saying why it is absent)."""
    try:
        from micrograd.engine import Value as MicroValue
    except ImportError:
        return None, "micrograd not installed (pip install micrograd==0.1.0): comparison skipped"
    try:
        from importlib.metadata import version

        return MicroValue, version("micrograd")
    except Exception:  # metadata missing (e.g. a source checkout): the engine still runs
        return MicroValue, "unknown version"


def _tree_data(n_terms: int, seed: int = 0) -> list:
    rnd = random.Random(seed)
    return [(rnd.uniform(-1.0, 1.0), rnd.uniform(-1.0, 1.0)) for _ in range(n_terms)]


def tree_graph(value_cls: type, data: list):
    """The sum of ``relu(w * x)`` over ``data``, added as a balanced binary tree; returns (root, node count)."""
    level = [(value_cls(w) * value_cls(x)).relu() for w, x in data]
    nodes = 4 * len(level)  # w, x, mul, relu per term
    while len(level) > 1:
        paired = [level[i] + level[i + 1] for i in range(0, len(level) - 1, 2)]
        nodes += len(paired)
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0], nodes


def chain_graph(n: int):
    """A chain of ``n`` tanh nodes over one leaf; returns (root, node count)."""
    y = Value(0.5)
    for _ in range(n):
        y = y.tanh()
    return y, n + 1


def _timed(build: Callable[[], tuple], repeats: int, collector: bool = True) -> tuple:
    """Median wall-clock and CPU seconds of build + backward over ``repeats`` runs, and the node count."""
    wall, cpu, nodes = [], [], 0
    for _ in range(repeats):
        gc.collect()  # the previous repeat's garbage is not charged to this one; the collector stays on
        if not collector:
            gc.disable()
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            root, nodes = build()
            root.backward()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        finally:
            gc.enable()
        del root
    return statistics.median(wall), statistics.median(cpu), nodes


def _bytes_per_node(build: Callable[[], tuple]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        root, nodes = build()
        root.backward()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del root
    return (after - before) / nodes


def run(repeats: int = 5, micrograd_repeats: int = 3, n_terms: int = N_TERMS, chain_sizes: tuple = (10 ** 4, 10 ** 6),
        log: Callable[[str], None] | None = None) -> dict:
    """Measure everything and return the figures (seconds, microseconds per node, bytes per node, ratios)."""
    say = log or (lambda message: None)
    data = _tree_data(n_terms)
    micro, micro_version = _micrograd()
    results: dict = {"python": sys.version.split()[0], "n_terms": n_terms, "gc_enabled_while_timing": True,
                     "micrograd": micro_version if micro is not None else None,
                     "note": None if micro is not None else micro_version, "targets": dict(TARGETS)}

    say("relu tree: autograd_core ...")
    ours_s, ours_cpu, nodes = _timed(lambda: tree_graph(Value, data), repeats)
    tree = {"nodes": nodes, "ours_s": ours_s, "ours_cpu_s": ours_cpu, "ours_us_per_node": ours_s / nodes * 1e6}
    memory = {"ours_bytes_per_node": _bytes_per_node(lambda: tree_graph(Value, data))}
    if micro is not None:
        say("relu tree: micrograd ...")
        micro_s, micro_cpu, micro_nodes = _timed(lambda: tree_graph(micro, data), micrograd_repeats)
        if micro_nodes != nodes:
            raise RuntimeError(f"the two graphs differ: {micro_nodes} vs {nodes} nodes")
        tree.update(micrograd_s=micro_s, micrograd_cpu_s=micro_cpu, micrograd_us_per_node=micro_s / nodes * 1e6,
                    speedup=micro_s / ours_s, speedup_cpu=micro_cpu / ours_cpu)
        memory["micrograd_bytes_per_node"] = _bytes_per_node(lambda: tree_graph(micro, data))
        # same graph, same numbers: a sanity check that both engines computed the same thing
        a, _ = tree_graph(Value, data[:1000])
        b, _ = tree_graph(micro, data[:1000])
        tree["same_result"] = abs(a.data - b.data) <= 1e-9 * max(1.0, abs(a.data))
    results["tree"] = tree
    results["memory"] = memory

    small, large = chain_sizes
    say(f"chains: {small} and {large} nodes ...")
    chain: dict = {}
    for collector, key in ((True, ""), (False, "_gc_off")):
        # with the collector off too, as a diagnosis: how much of the large chain's extra cost is the collector
        small_s, small_cpu, small_nodes = _timed(lambda: chain_graph(small), max(repeats, 7), collector)
        large_s, large_cpu, large_nodes = _timed(lambda: chain_graph(large), 3, collector)
        chain.update({
            f"small_us_per_node{key}": small_s / small_nodes * 1e6,
            f"large_us_per_node{key}": large_s / large_nodes * 1e6,
            f"small_cpu_us_per_node{key}": small_cpu / small_nodes * 1e6,
            f"large_cpu_us_per_node{key}": large_cpu / large_nodes * 1e6,
        })
        chain[f"ratio{key}"] = chain[f"large_us_per_node{key}"] / chain[f"small_us_per_node{key}"]
        chain[f"ratio_cpu{key}"] = chain[f"large_cpu_us_per_node{key}"] / chain[f"small_cpu_us_per_node{key}"]
    chain.update(small_nodes=small_nodes, large_nodes=large_nodes)
    results["chain"] = chain
    return results


def _verdict(ok: bool) -> str:
    return "met" if ok else "**MISSED**"


def table(results: dict) -> str:
    """The figures as a markdown table, targets alongside."""
    tree, memory, chain = results["tree"], results["memory"], results["chain"]
    rows = [
        "| figure | autograd_core | micrograd 0.1.0 | ratio | target |",
        "|---|---|---|---|---|",
    ]
    have_micro = "micrograd_s" in tree
    if have_micro:
        speedup, want = tree["speedup"], TARGETS["speedup_vs_micrograd"]
        rows.append(f"| relu tree ({results['n_terms']:,} terms, {tree['nodes']:,} nodes): build + backward, median | "
                    f"{tree['ours_s'] * 1e3:.0f} ms | {tree['micrograd_s'] * 1e3:.0f} ms | {speedup:.1f}x faster | "
                    f">= {want:g}x: {_verdict(speedup >= want)} |")
        rows.append(f"| relu tree: time per node | {tree['ours_us_per_node']:.2f} us | "
                    f"{tree['micrograd_us_per_node']:.2f} us | | |")
        ours_b, micro_b = memory["ours_bytes_per_node"], memory["micrograd_bytes_per_node"]
        rows.append(f"| memory per node (tracemalloc, after build + backward) | {ours_b:.0f} B | {micro_b:.0f} B | "
                    f"{micro_b / ours_b:.1f}x less | <= {TARGETS['bytes_per_node']:g} B: "
                    f"{_verdict(ours_b <= TARGETS['bytes_per_node'])} |")
    else:
        rows.append(f"| relu tree ({results['n_terms']:,} terms, {tree['nodes']:,} nodes): build + backward, median | "
                    f"{tree['ours_s'] * 1e3:.0f} ms ({tree['ours_us_per_node']:.2f} us/node) | skipped | | "
                    f">= {TARGETS['speedup_vs_micrograd']:g}x: not measured |")
        ours_b = memory["ours_bytes_per_node"]
        rows.append(f"| memory per node (tracemalloc, after build + backward) | {ours_b:.0f} B | skipped | | "
                    f"<= {TARGETS['bytes_per_node']:g} B: {_verdict(ours_b <= TARGETS['bytes_per_node'])} |")
    rows.append(f"| tanh chain, {chain['small_nodes'] - 1:,} nodes: build + backward per node | "
                f"{chain['small_us_per_node']:.2f} us | | | |")
    rows.append(f"| tanh chain, {chain['large_nodes'] - 1:,} nodes: build + backward per node | "
                f"{chain['large_us_per_node']:.2f} us | | {chain['ratio']:.2f}x the small chain's | "
                f"<= {TARGETS['chain_ratio']:g}x: {_verdict(chain['ratio'] <= TARGETS['chain_ratio'])} |")
    lines = ["\n".join(rows), "",
             f"Python {results['python']}, garbage collector enabled while timing (gc.collect() before each repeat); "
             "freeing the graph is not timed. Times are wall-clock medians.",
             "CPU time (process_time) instead of wall clock: "
             + (f"speedup {tree['speedup_cpu']:.1f}x, " if have_micro else "")
             + f"chain ratio {chain['ratio_cpu']:.2f}x. With the collector off (diagnosis only): chain "
             f"{chain['small_us_per_node_gc_off']:.2f} vs {chain['large_us_per_node_gc_off']:.2f} us per node, "
             f"ratio {chain['ratio_gc_off']:.2f}x."]
    if results["note"]:
        lines.append(f"Note: {results['note']}.")
    elif not tree.get("same_result", True):
        lines.append("Warning: the two engines disagree on the tree's value.")
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    """Command line: run the benchmark and print the markdown table (about a minute)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats for autograd_core (median reported)")
    parser.add_argument("--micrograd-repeats", type=int, default=3, help="timed repeats for micrograd")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.micrograd_repeats < 1:
        parser.error("repeats must be >= 1")
    results = run(repeats=args.repeats, micrograd_repeats=args.micrograd_repeats,
                  log=lambda message: print(message, file=sys.stderr, flush=True))
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
