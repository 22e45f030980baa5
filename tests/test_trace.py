"""The backward stepper and the explanations: exact agreement with backward on random graphs, and the text."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from autograd_core.testing import expressions_and_inputs
from autograd_core.trace import ParentUpdate, Step, backward_steps, explain, gradient_paths, node_names

UNARY = ("tanh", "sigmoid", "sin", "cos", "neg", "relu", "softplus", "abs", "exp")
BINARY = ("add", "sub", "mul")


@st.composite
def graphs(draw, max_ops: int = 14):
    """A random DAG over 1-4 labelled leaves: ops pick any earlier node as input, so reuse and diamonds abound.

    Returns (root, leaves). Leaves start with random grads (backward accumulates into them).
    """
    n = draw(st.integers(1, 4))
    leaves = [Value(draw(st.floats(-2, 2)), label=f"x{i}") for i in range(n)]
    for v in leaves:
        v.grad = draw(st.sampled_from([0.0, 0.0, 1.5, -0.25]))
    nodes = list(leaves)

    def pick():
        # bias towards recent nodes so graphs get deep, but any node may be reused
        i = draw(st.integers(0, len(nodes) - 1))
        return nodes[max(i, len(nodes) - 1 - draw(st.integers(0, 3)))] if draw(st.booleans()) else nodes[i]

    for _ in range(draw(st.integers(1, max_ops))):
        kind = draw(st.sampled_from(["unary", "binary", "binary", "sum", "pow", "const", "param"]))
        if kind == "unary":
            a = pick()
            op = draw(st.sampled_from(UNARY))
            v = ag.apply(op, a.tanh() if op == "exp" else a)  # exp of tanh cannot overflow
        elif kind == "binary":
            v = ag.apply(draw(st.sampled_from(BINARY)), pick(), pick())
        elif kind == "sum":
            v = ag.sum([pick() for _ in range(draw(st.integers(1, 5)))], start=draw(st.sampled_from([0.0, 0.5])))
        elif kind == "pow":
            v = pick().sigmoid() ** draw(st.sampled_from([2.0, 3.0, -1.5]))  # sigmoid > 0: any exponent is safe
        elif kind == "const":
            v = draw(st.sampled_from([2.0, -3.0])) * pick() + 1.0
        else:
            v = pick().leaky_relu(0.1)
        if draw(st.booleans()):
            v.label = draw(st.sampled_from(["h", "z", ""]))  # duplicate labels get numbered names
        nodes.append(v)
    return nodes[-1], leaves


def bits(x: float) -> str:
    # exact comparison that also tells -0.0 from 0.0 and matches nan with nan
    return float(x).hex()


def snapshot(root):
    return [bits(v.grad) for v in ag.topological_order(root)]


def run_both(root, leaves, seed):
    """Grads after backward and after consuming the stepper, from the same starting leaf grads."""
    leaves = [v for v in ag.topological_order(root) if v.is_leaf]  # constants too: they accumulate as well
    start = [v.grad for v in leaves]
    root.backward(seed)
    expected = snapshot(root)
    for v, g in zip(leaves, start):
        v.grad = g
    for v in ag.topological_order(root):
        if not v.is_leaf:
            v.grad = 123.0  # stale interior grads must be reset, as backward does
    steps = list(backward_steps(root, seed))
    return expected, snapshot(root), steps


@given(graphs(), st.sampled_from([1.0, -2.5, 0.1]))
def test_stepper_leaves_exactly_the_gradients_of_backward(case, seed):
    root, leaves = case
    expected, got, steps = run_both(root, leaves, seed)
    assert got == expected
    # a second pass: interior grads reset again, leaves accumulate, still identical
    expected2, got2, _ = run_both(root, leaves, seed)
    assert got2 == expected2


@given(expressions_and_inputs(n_vars=3, max_ops=10))
def test_stepper_matches_backward_on_every_op_of_the_table(pair):
    expr, inputs = pair
    root = expr.build(inputs)
    leaves = [v for v in ag.topological_order(root) if v.is_leaf]
    expected, got, _ = run_both(root, leaves, 1.0)
    assert got == expected


@given(graphs())
def test_steps_visit_interior_nodes_in_reversed_topological_order(case):
    root, _ = case
    order = ag.topological_order(root)
    steps = list(backward_steps(root))
    assert [s.node for s in steps] == [v for v in reversed(order) if not v.is_leaf]
    assert [s.index for s in steps] == list(range(len(steps)))
    assert all(s.total == len(steps) for s in steps)
    names = node_names(root)
    assert all(s.name == names[s.node] for s in steps)
    assert len(set(names.values())) == len(names)  # names are unique within a graph


@given(graphs())
def test_each_update_is_upstream_times_local_added_to_the_parent(case):
    root, _ = case
    last = {}
    for s in backward_steps(root):
        assert len(s.updates) == len(s.node.parents)
        locals_ = s.node.local_derivatives()
        for i, u in enumerate(s.updates):
            assert isinstance(u, ParentUpdate)
            assert u.parent is s.node.parents[i] and u.position == i
            assert bits(u.local) == bits(locals_[i])
            assert bits(u.contribution) == bits(s.upstream * u.local)
            assert bits(u.grad_after) == bits(u.grad_before + u.contribution)
            if u.parent in last:
                assert bits(u.grad_before) == bits(last[u.parent])
            last[u.parent] = u.grad_after


@given(graphs())
def test_contributions_sum_to_each_nodes_gradient(case):
    root, leaves = case
    start = {v: v.grad for v in ag.topological_order(root) if v.is_leaf}
    steps = list(backward_steps(root))
    incoming = {}
    for s in steps:
        for u in s.updates:
            incoming.setdefault(u.parent, []).append(u.contribution)
    for v in ag.topological_order(root):
        if v is root:
            continue
        total = start.get(v, 0.0)
        for c in incoming[v]:
            total += c  # the same additions in the same order: exact
        assert bits(total) == bits(v.grad)
    # an interior node's upstream at its step is already its final gradient: all its users were visited before
    for s in steps:
        assert bits(s.upstream) == bits(s.node.grad)
    # and the contributions agree with the gradient computed independently (gradients() never touches .grad)
    finite = all(math.isfinite(c) for cs in incoming.values() for c in cs)
    if finite:
        want = ag.gradients(root, leaves)
        for v, w in zip(leaves, want):
            got = math.fsum(incoming.get(v, []))
            assert math.isclose(got, w, rel_tol=1e-9, abs_tol=1e-9 * (1 + sum(abs(c) for c in incoming.get(v, []))))


@given(graphs())
def test_grads_so_far_replays_the_pass_after_every_step(case):
    root, _ = case
    order = ag.topological_order(root)
    seen = []
    for s in backward_steps(root, 0.5):
        seen.append((s, {v: bits(v.grad) for v in order}))
    for s, live in seen:
        assert {v: bits(g) for v, g in s.grads_so_far().items()} == live
        assert s.history()[-1] == s and len(s.history()) == s.index + 1
        assert s.root is root


def test_step_text_reads_like_the_lecture():
    z = Value(math.atanh(0.5), label="z")
    h = z.tanh()
    h.label = "h"
    (step,) = backward_steps(h)
    assert str(step) == "[0] h = tanh(z)   upstream 1   -> z: local 0.75 x 1 = +0.75 (z.grad now 0.75)"
    w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(1.0, label="b")
    y = w * x + b
    y.label = "y"
    steps = list(backward_steps(y, 0.5))
    assert str(steps[0]).splitlines() == [
        "[0] y = mul#1 + b   upstream 0.5   -> mul#1: local 1 x 0.5 = +0.5 (mul#1.grad now 0.5)",
        "                                   -> b: local 1 x 0.5 = +0.5 (b.grad now 0.5)",
    ]
    assert str(steps[1]).splitlines()[0] == "[1] mul#1 = w * x   upstream 0.5   -> w: local 2 x 0.5 = +1 (w.grad now 1)"
    assert steps[1].format(precision=2).endswith("x: local -3 x 0.5 = -1.5 (x.grad now -1.5)")
    assert repr(steps[1]) == "Step(index=1, total=2, name='mul#1', upstream=0.5)"
    assert isinstance(steps[0], ag.Step) and ag.Step is Step


def test_expressions_of_every_kind_of_node():
    x = Value(2.0, label="x")
    y = Value(3.0, label="y")
    cases = [(x ** 2, "x ** 2"), (2 ** x, "2 ** x"), (x ** y, "x ** y"), (-x, "-x"), (x / y, "x / y"),
             (x.leaky_relu(0.2), "leaky_relu(x, slope=0.2)"),
             (ag.sum([x, y, x], start=1.5), "sum([x, y, x], start=1.5)"),
             (ag.sum([x] * 9), "sum([x, x, x, x, x, ... 4 more])"), (x.elu(), "elu(x, alpha=1)")]
    for v, text in cases:
        (step, *_) = backward_steps(v)
        assert step.expression == text


def test_names_are_deterministic_and_numbered_by_step():
    def build():
        a = Value(1.0, label="a")
        c = Value(2.0)
        t = (a * c + a).tanh()
        return Value(0.5, label="a") * t, a, c  # a second node labelled "a"

    root, a, c = build()
    names = node_names(root)
    assert sorted(names.values()) == sorted(node_names(build()[0]).values())
    # interior nodes by backward step, then leaves; a label used twice gets the node's number
    assert list(names.values())[:4] == ["mul#0", "tanh#1", "add#2", "mul#3"]
    assert names[c].startswith("leaf#")
    assert names[a] != names[root.parents[0]] and {names[a][:2], names[root.parents[0]][:2]} == {"a#"}
    assert [s.name for s in backward_steps(root)] == ["mul#0", "tanh#1", "add#2", "mul#3"]


def test_leaf_root_gets_no_step_and_accumulates_like_backward():
    x = Value(1.0, label="x")
    x.grad = 2.0
    assert list(backward_steps(x, 3.0)) == []
    assert x.grad == 5.0
    x.backward(3.0)
    assert x.grad == 8.0


def test_stepper_is_lazy_and_stops_early_with_gradients_so_far():
    x = Value(2.0, label="x")
    y = (x * x).tanh()
    y.grad = 7.0
    it = backward_steps(y)
    assert y.grad == 7.0  # nothing happens before the first step is asked for
    first = next(it)
    assert first.node is y and y.grad == 1.0
    assert x.grad == 0.0  # the mul step has not run yet
    next(it)
    assert x.grad != 0.0


def test_stepper_rejects_bad_input():
    with pytest.raises(TypeError, match="backward_steps: root must be a Value"):
        backward_steps(2.0)
    with pytest.raises(TypeError, match="backward_steps"):
        backward_steps(Value(1.0), grad="1")


def test_anomaly_mode_stops_at_the_step_like_backward():
    x = Value(0.0, label="x")
    y = x.sqrt() * 2.0
    with ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError) as by_backward:
            y.backward()
        x.grad = 0.0
        it = backward_steps(y)
        next(it)  # the mul step is finite
        with pytest.raises(ag.AnomalyError) as by_stepper:
            next(it)
    assert str(by_stepper.value) == str(by_backward.value)
    assert "sqrt" in str(by_stepper.value)


def test_explain_table_lists_every_step_and_leaf_and_touches_no_grad():
    w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(6.0, label="b")
    h = (w * x + b).tanh()
    h.label = "h"
    h.backward()
    before = {v: v.grad for v in ag.topological_order(h)}
    text = explain(h)
    assert {v: v.grad for v in ag.topological_order(h)} == before  # pure: the leaves did not accumulate again
    lines = text.splitlines()
    assert lines[0].startswith("backward pass of h = tanh(add#1): 3 steps")
    assert lines[1].split() == ["step", "node", "computes", "upstream", "parent", "local", "contribution", "parent",
                                "grad", "now"]
    steps = list(backward_steps(h))
    rows = [ln.split() for ln in lines[3:] if ln.startswith("[")]
    assert [r[0] for r in rows] == [f"[{s.index}]" for s in steps]
    assert rows[0] == ["[0]", "h", "tanh(add#1)", "1", "add#1", f"{steps[0].updates[0].local:.4g}",
                       f"{steps[0].updates[0].contribution:+.4g}", f"{steps[0].updates[0].grad_after:.4g}"]
    tail = text.split("gradients of the leaves")[1]
    for leaf in (w, x, b):
        want = ag.gradients(h, leaf)
        assert f"  {leaf.label}: {want:.4g}" in tail


def test_explain_limits_the_table():
    x = Value(0.5, label="x")
    y = x
    for _ in range(50):
        y = y.sin()
    text = explain(y, max_steps=10)
    assert "... 40 more steps not shown (raise max_steps=10" in text
    assert sum(1 for ln in text.splitlines() if ln.startswith("[")) == 10


def test_explain_wrt_shows_every_path_of_a_reused_variable():
    a = Value(3.0, label="a")
    y = a * a + 2.0 * a
    y.label = "y"
    text = explain(y, wrt=a)
    assert text.splitlines() == [
        "d y / d a = sum over the 3 paths from a to y of the product of the local derivatives along the path:",
        "path a -> mul#1[input 0] -> y: 3 x 1 = 3",
        "path a -> mul#1[input 1] -> y: 3 x 1 = 3",
        "path a -> mul#2 -> y: 2 x 1 = 2",
        "total d y / d a = 8 (sum of 3 paths; backward gives 8)",
    ]
    assert a.grad == 0.0


@given(graphs(max_ops=10))
def test_path_products_sum_to_the_gradient(case):
    root, leaves = case
    for leaf in leaves:
        paths = gradient_paths(root, leaf, max_paths=10**6)
        want = ag.gradients(root, leaf)
        products = [p.product for p in paths]
        if not all(math.isfinite(p) for p in products):
            continue
        assert math.isclose(math.fsum(products), want, rel_tol=1e-9, abs_tol=1e-9 * (1 + sum(map(abs, products))))
        for p in paths:
            assert p.nodes[0] is leaf and p.nodes[-1] is root
            assert len(p.locals) == len(p.positions) == len(p.nodes) - 1
            for lower, upper, pos in zip(p.nodes, p.nodes[1:], p.positions):
                assert upper.parents[pos] is lower
        if len(paths) <= 50:
            text = explain(root, wrt=leaf, max_paths=50)
            assert sum(1 for ln in text.splitlines() if ln.startswith("path ")) == len(paths)


def test_path_count_is_guarded_in_diamonds():
    x = Value(1.0, label="x")
    y = x
    for _ in range(80):
        y = y + y  # 2**80 paths from x to y
    y.label = "y"
    text = explain(y, wrt=x)
    assert f"{2 ** 80} paths" in text and "max_paths=1000" in text
    assert text.endswith(f"total d y / d x = {2.0 ** 80:.4g} (by backward)")
    with pytest.raises(ValueError, match="raise max_paths"):
        gradient_paths(y, x)


def test_path_edges_are_guarded_on_long_chains():
    x = Value(0.1, label="x")
    y = x
    for _ in range(2000):
        y = y.sin()
    with pytest.raises(ValueError, match="edges"):
        gradient_paths(y, x, max_paths=10)
    assert len(gradient_paths(y, x, max_paths=100)) == 1


def test_explain_wrt_edge_cases():
    x = Value(2.0, label="x")
    q = Value(1.0, label="q")
    y = x * 3.0
    y.label = "y"
    assert explain(y, wrt=q) == "d y / d q = 0: y does not depend on q (no path leads from it to y)"
    assert explain(y, wrt=y).splitlines()[1] == "path y: 1 = 1"
    assert "seed 2" in explain(y, wrt=x, grad=2.0)
    assert explain(x) == "x is a leaf: backward does no steps; d x / d x = 1"
    with pytest.raises(TypeError, match="explain: wrt must be a Value"):
        explain(y, wrt=2.0)
    with pytest.raises(TypeError, match="explain: root must be a Value"):
        explain(2.0)
    with pytest.raises(ValueError, match="max_paths"):
        explain(y, wrt=x, max_paths=0)
