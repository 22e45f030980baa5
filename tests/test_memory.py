"""No reference cycles: a dropped graph is freed by reference counting alone (the cycle collector is switched off
while these tests run, to prove it), and deep chains are freed without recursion errors."""

import gc
import weakref
from contextlib import contextmanager

import pytest

import autograd_core as ag
from autograd_core import Value


@contextmanager
def collector_off():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def weak_refs(*roots) -> list:
    refs = []
    for root in roots:
        refs.extend(weakref.ref(v) for v in ag.topological_order(root))
    return refs


def build_use_and_drop() -> list:
    """Build a small network-like graph with shared nodes, run every kind of backward, return weak refs only."""
    xs = [Value(0.1 * i - 0.3, label=f"x{i}") for i in range(6)]
    hidden = [ag.sum([x * (0.2 * j - 0.5) for x in xs], start=0.1).tanh() for j in range(4)]
    out = ag.sum([h * h for h in hidden]) + hidden[0] * hidden[1]
    loss = (out - 1.0) ** 2 + out.sigmoid().log() + abs(hidden[2]).sqrt()
    loss.backward()
    loss.backward()
    grads = ag.gradients(loss, xs)
    assert len(grads) == 6
    graph_grads = ag.gradients(loss, xs, create_graph=True)
    second = ag.gradients(graph_grads[0], xs)
    assert len(second) == 6
    with ag.detect_anomaly():
        checked = (xs[0] * xs[1]).exp()
        checked.backward()
    with ag.no_grad():
        update = xs[0] - 0.1 * xs[0].grad
    detached = loss.detach()
    with ag.scope("layer"):
        scoped = xs[1].tanh()
    return weak_refs(loss, *graph_grads, checked, update, detached, scoped)


def test_a_dropped_graph_is_freed_without_the_cycle_collector():
    build_use_and_drop()  # warm-up: first-time imports and caches are not the graph's garbage
    with collector_off():
        refs = build_use_and_drop()
        assert len(refs) > 100
        alive = [r() for r in refs if r() is not None]
        assert alive == [], f"{len(alive)} nodes still alive, e.g. {alive[:3]}"
        # nothing was left for the collector either: no cycles were created
        assert gc.collect() == 0


def test_a_graph_that_raised_a_domain_error_is_freed():
    def build_and_fail() -> list:
        x = Value(-2.0, label="x")
        h = (x * 3).tanh()
        try:
            (h - 1.0).log()
        except ValueError:
            pass
        return weak_refs(h)

    with collector_off():
        refs = build_and_fail()
        assert all(r() is None for r in refs)


def test_a_node_holds_no_closure_or_cycle():
    x = Value(1.5)
    y = x * x
    # a node refers to plain data, its (shared) table entry and its parents: no per-node function or cell
    kinds = {type(r).__name__ for r in gc.get_referents(y)}
    assert {"float", "Op", "Value"} <= kinds <= {"float", "str", "Op", "tuple", "Value", "NoneType", "type"}
    # a binary node is one tracked object: its parents sit in slots, not in a tuple of their own
    assert [r for r in gc.get_referents(y) if type(r) is tuple] == []
    s = ag.sum([x, y, x])
    assert [r for r in gc.get_referents(s) if type(r) is tuple] == [(x, y, x)]  # a variadic node keeps a tuple
    assert all(y is not r for r in gc.get_referents(*y.parents))  # parents never point back at children


@pytest.mark.parametrize("unary", [False, True], ids=["add_chain", "tanh_chain"])
def test_a_dropped_deep_chain_is_freed_without_recursion_errors(unary):
    def build_chain() -> tuple:
        x = Value(0.5)
        y = x
        for _ in range(10 ** 5):
            y = y.tanh() if unary else y + x
        y.backward()
        first = y
        while first.parents and first.parents[0].parents:
            first = first.parents[0]
        return weakref.ref(first), weakref.ref(y)

    with collector_off():
        first, last = build_chain()  # freeing 10^5 nested nodes must not overflow the C stack
        assert first() is None and last() is None
