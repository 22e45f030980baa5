"""Backward: multi-path accumulation, call-twice semantics, determinism, no_grad/detach/zero_grad, deep chains, the
topological order, and random expression graphs (from ``autograd_core.testing``) against central differences,
``gradients()`` and sympy."""

import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import OPS, Domain, Value
from autograd_core.testing import BOUND, expressions, expressions_and_inputs, op_arguments, values

# Built-in ops only: other test modules define custom ops (some wrong on purpose) in the same table.
BUILTIN = [op for op in OPS.values() if op.builtin]


# ----------------------------------------------------------------------------------------------- multi-path
def test_a_plus_a():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_a_times_a():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0


def test_diamond():
    # x -> (u, v) -> w: both paths contribute
    x = Value(2.0, "x")
    u = x * 3
    v = x.tanh()
    w = u * v
    w.backward()
    want = 3 * math.tanh(2.0) + 6.0 * (1 - math.tanh(2.0) ** 2)
    assert x.grad == pytest.approx(want, rel=1e-15)
    assert u.grad == pytest.approx(math.tanh(2.0), rel=1e-15) and v.grad == pytest.approx(6.0, rel=1e-15)


def test_stacked_diamonds():
    # each layer doubles the paths: y = ((x + x) + (x + x)) ... 2^n paths, derivative 2^n
    x = Value(1.0)
    y = x
    for _ in range(30):
        y = y + y
    y.backward()
    assert x.grad == 2.0 ** 30


def test_a_node_reused_many_times():
    x = Value(0.5)
    h = x.sin()
    y = ag.sum([h * float(k) for k in range(1, 101)])
    y.backward()
    assert h.grad == pytest.approx(5050.0, rel=1e-15)
    assert x.grad == pytest.approx(5050.0 * math.cos(0.5), rel=1e-14)


def test_the_same_value_twice_in_one_sum():
    x = Value(2.0)
    y = ag.sum([x, x, x * x], start=x)
    y.backward()
    assert y.data == 10.0 and x.grad == 3.0 + 4.0


# ----------------------------------------------------------------------------------------------- semantics
def test_backward_twice_after_zeroing_the_leaf_gives_the_same_gradient():
    x = Value(3.0)
    y = x * x * x
    y.backward()
    assert x.grad == 27.0
    x.grad = 0
    y.backward()
    assert x.grad == 27.0  # micrograd gives 45: its interior grads keep accumulating


def test_leaves_accumulate_across_calls_and_interior_grads_reset():
    x = Value(3.0)
    h = x * x
    y = h * x
    y.backward()
    y.backward()
    assert x.grad == 54.0  # the leaf accumulates, like a PyTorch leaf
    assert h.grad == 3.0  # an interior node holds this call's gradient only
    assert y.grad == 1.0


def test_backward_seed_scales_every_gradient():
    x = Value(2.0)
    y = x * x
    y.backward(0.5)
    assert (y.grad, x.grad) == (0.5, 2.0)


def test_backward_on_a_leaf_accumulates_into_it():
    x = Value(2.0)
    x.backward()
    x.backward(2.0)
    assert x.grad == 3.0


def test_a_second_output_sharing_leaves_accumulates_into_them():
    x = Value(2.0)
    (x * 3).backward()
    (x * x).backward()
    assert x.grad == 3.0 + 4.0


def test_interior_nodes_get_their_own_gradient():
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    d = c + a
    e = d.tanh()
    e.backward()
    de = 1 - math.tanh(-4.0) ** 2
    assert d.grad == pytest.approx(de, rel=1e-15) and c.grad == pytest.approx(de, rel=1e-15)
    assert a.grad == pytest.approx(de * (b.data + 1), rel=1e-15) and b.grad == pytest.approx(de * a.data, rel=1e-15)


# ----------------------------------------------------------------------------------------------- determinism
def mlp_like(seed_values):
    xs = [Value(v, f"x{i}") for i, v in enumerate(seed_values)]
    hidden = [ag.sum([x * (0.1 * (j + 1) + 0.01 * i) for i, x in enumerate(xs)], start=0.1 * j).tanh()
              for j in range(8)]
    out = ag.sum([h * h for h in hidden] + [hidden[0] * hidden[-1]]).log()
    return xs, out


def test_gradients_are_bit_identical_across_runs_and_rebuilt_graphs():
    data = [0.3, -1.7, 2.2, 0.9, -0.4]
    xs, out = mlp_like(data)
    out.backward()
    first = [x.grad for x in xs]
    for x in xs:
        x.grad = 0.0
    out.backward()
    assert [x.grad for x in xs] == first  # the spec demands bit-identical results on every run
    xs2, out2 = mlp_like(data)
    out2.backward()
    assert [x.grad for x in xs2] == first
    assert ag.gradients(out2, xs2) == first


def test_topological_order_is_the_same_on_a_rebuilt_graph():
    _, a = mlp_like([0.1, 0.2, 0.3, 0.4, 0.5])
    _, b = mlp_like([0.1, 0.2, 0.3, 0.4, 0.5])
    assert [(v.op, v.data) for v in ag.topological_order(a)] == [(v.op, v.data) for v in ag.topological_order(b)]


# ----------------------------------------------------------------------------------------------- topological order
def check_topological_order(root):
    order = ag.topological_order(root)
    assert order[-1] is root
    assert len({id(v) for v in order}) == len(order)  # each node once
    position = {id(v): i for i, v in enumerate(order)}
    for v in order:
        for p in v.parents:
            assert position[id(p)] < position[id(v)]  # parents before children
    # exactly the nodes reachable from root
    reachable, stack = set(), [root]
    while stack:
        v = stack.pop()
        if id(v) not in reachable:
            reachable.add(id(v))
            stack.extend(v.parents)
    assert reachable == set(position)
    assert ag.topological_order(root) == order  # deterministic
    return order


def test_topological_order_properties():
    _, out = mlp_like([0.5, -0.5, 1.5, 0.25, -2.0])
    order = check_topological_order(out)
    leaf = Value(1.0)
    assert ag.topological_order(leaf) == [leaf]
    a = Value(1.0, "a")
    b = a * 2
    c = a + b
    assert ag.topological_order(c)[-1] is c
    assert [v.label for v in ag.topological_order(c)][:1] == ["a"]  # first parent explored first
    assert order[-1] is out


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(expressions_and_inputs(n_vars=3, max_depth=5, ops=BUILTIN))
def test_topological_order_of_random_graphs(pair):
    expr, inputs = pair
    check_topological_order(expr.build(inputs))


# ----------------------------------------------------------------------------------------------- switches
def test_no_grad_records_no_parents():
    x = Value(2.0)
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y = x * 3 + 1
        z = ag.sum([x, y])
    assert ag.is_grad_enabled()
    assert y.is_leaf and y.parents == () and y.op == "" and y.data == 7.0
    assert z.is_leaf and z.data == 9.0
    w = y * x  # recording resumes after the block
    w.backward()
    assert x.grad == 7.0 and y.grad == 2.0


def test_no_grad_restores_the_switch_after_an_error():
    with pytest.raises(ValueError):
        with ag.no_grad():
            Value(-1.0).log()
    assert ag.is_grad_enabled()


def test_detach_makes_a_leaf_with_the_same_data():
    x = Value(2.0, "x")
    h = x * x
    d = h.detach()
    assert d.is_leaf and d.data == 4.0 and d is not h
    y = d * x
    y.backward()
    assert x.grad == 4.0  # no gradient flows through the detached branch
    assert h.grad == 0.0


def test_zero_grad():
    xs = [Value(1.0), Value(2.0)]
    y = xs[0] * xs[1]
    y.backward()
    ag.zero_grad(xs)
    assert [x.grad for x in xs] == [0.0, 0.0]
    y.backward()
    ag.zero_grad(x for x in xs)
    ag.zero_grad(y)
    assert y.grad == 0.0 and xs[0].grad == 0.0
    with pytest.raises(TypeError, match="zero_grad: item 1 is a float"):
        ag.zero_grad([xs[0], 1.0])


# ----------------------------------------------------------------------------------------------- deep chains
def test_chain_of_100_thousand_nodes():
    x = Value(1.0)
    y = x
    for _ in range(10 ** 5):
        y = y + x
    y.backward()
    assert x.grad == 10 ** 5 + 1
    assert len(ag.topological_order(y)) == 10 ** 5 + 1
    g = ag.gradients(y, x)
    assert g == 10 ** 5 + 1


def test_chain_of_100_thousand_unary_nodes():
    x = Value(0.1)
    y = x
    for _ in range(10 ** 5):
        y = y.sin()
    y.backward()
    # d/dx sin^n(x) = prod cos(sin^k(x)): recompute on floats
    v, want = 0.1, 1.0
    for _ in range(10 ** 5):
        want *= math.cos(v)
        v = math.sin(v)
    assert y.data == v
    assert x.grad == pytest.approx(want, rel=1e-9)


def test_chain_of_a_million_nodes_builds_and_backwards_without_recursion_error():
    # About 2 seconds on one core (measured): a deep graph is limited by memory, not by the recursion limit.
    x = Value(1.0)
    y = x
    for _ in range(10 ** 6):
        y = y + x
    y.backward()
    assert x.grad == 10 ** 6 + 1


# ----------------------------------------------------------------------------------------------- sum and gradients
def test_autograd_core_sum_backward():
    xs = [Value(float(i)) for i in range(5)]
    b = Value(0.5)
    s = ag.sum([x * x for x in xs], start=b)
    s.backward()
    assert [x.grad for x in xs] == [2.0 * i for i in range(5)]
    assert b.grad == 1.0


def test_gradients_do_not_touch_grad():
    x, y = Value(2.0), Value(3.0)
    z = x * y + x.exp()
    gx, gy = ag.gradients(z, [x, y])
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)
    assert gx == pytest.approx(3 + math.exp(2), rel=1e-15) and gy == 2.0
    assert ag.gradients(z, x) == gx
    assert ag.gradients(z, [Value(1.0)]) == [0.0]


# ----------------------------------------------------------------------------------------------- random graphs
def numeric_gradient(expr, inputs, i: int) -> float:
    """Five-point central difference in input i: error O(h^4); guards keep every kink >= 0.25 away."""
    h = 1e-4

    def f(dx):
        moved = list(inputs)
        moved[i] += dx
        return expr.evaluate(moved)

    return (f(-2 * h) - 8 * f(-h) + 8 * f(h) - f(2 * h)) / (12 * h)


def build(expr, inputs):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(inputs)]
    return leaves, expr.build(leaves)


RANDOM = dict(n_vars=3, max_depth=5, ops=BUILTIN)


@given(expressions_and_inputs(**RANDOM))
def test_random_graphs_against_central_differences(pair):
    expr, inputs = pair
    leaves, y = build(expr, inputs)
    assert y.data == expr.evaluate(inputs)
    y.backward()
    for i, leaf in enumerate(leaves):
        numeric = numeric_gradient(expr, inputs, i)
        # the rounding error of the stencil grows with the values involved (each node is bounded by BOUND)
        assert math.isclose(leaf.grad, numeric, rel_tol=1e-6, abs_tol=1e-7 * BOUND), (str(expr), i, leaf.grad,
                                                                                    numeric)


@given(expressions_and_inputs(**RANDOM))
def test_random_graphs_backward_agrees_with_gradients(pair):
    expr, inputs = pair
    leaves, y = build(expr, inputs)
    y.backward()
    grads = ag.gradients(y, leaves)
    for leaf, g in zip(leaves, grads):
        assert math.isclose(leaf.grad, g, rel_tol=1e-12, abs_tol=1e-15)
    graph_grads = ag.gradients(y, leaves, create_graph=True)
    for leaf, g in zip(leaves, graph_grads):
        assert isinstance(g, Value)
        assert math.isclose(g.data, leaf.grad, rel_tol=1e-12, abs_tol=1e-15)


@settings(max_examples=25)
@given(expressions_and_inputs(**RANDOM))
def test_random_graphs_against_sympy(pair):
    sympy = pytest.importorskip("sympy")
    expr, inputs = pair
    symbols = sympy.symbols(f"x0:{expr.n_vars}", real=True)
    exact = expr.to_sympy(symbols)
    leaves, y = build(expr, inputs)
    y.backward()
    at = dict(zip(symbols, inputs))
    assert float(exact.evalf(30, subs=at)) == pytest.approx(y.data, rel=1e-10, abs=1e-12)
    for s, leaf in zip(symbols, leaves):
        want = float(sympy.diff(exact, s).evalf(30, subs=at))
        assert leaf.grad == pytest.approx(want, rel=1e-9, abs=1e-10)


@given(expressions_and_inputs(**RANDOM))
def test_random_graphs_are_deterministic(pair):
    expr, inputs = pair
    first_leaves, first = build(expr, inputs)
    first.backward()
    again_leaves, again = build(expr, inputs)
    again.backward()
    assert [x.grad for x in first_leaves] == [x.grad for x in again_leaves]  # bit-identical, as specified


# ----------------------------------------------------------------------------------------------- the strategies
def namespace(expr, leaves):
    def call(op):
        # a variadic op is written op([a, b, ...]): its inputs come as one list
        def applied(*a, **k):
            inputs = a[0] if op.arity == -1 and len(a) == 1 and isinstance(a[0], list) else a
            return ag.apply(op, *inputs, arg=next(iter(k.values()), None))
        return applied

    names = {op.name: call(op) for op in OPS.values()}
    names.update({n: getattr(ag, n) for n in ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "leaky_relu",
                                              "softplus", "elu", "sin", "cos", "step", "sum")})
    names.update(abs=abs, **dict(zip(expr.variables, leaves)))
    return names


@given(expressions_and_inputs(**RANDOM))
def test_source_text_rebuilds_the_same_values(pair):
    expr, inputs = pair
    leaves, y = build(expr, inputs)
    text = str(expr)
    assert repr(expr) == f"Expression({text!r}, n_vars=3)"
    z = eval(text, {"__builtins__": {}}, namespace(expr, leaves))  # noqa: S307 - our own generated text
    # the same ops on the same floats in the same order: the same result, bit for bit
    assert z.data == y.data
    z.backward()
    grads = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    y.backward()
    for g, leaf in zip(grads, leaves):
        # a shared node sums its paths in another order than the written-out tree: equal up to rounding
        assert math.isclose(g, leaf.grad, rel_tol=1e-9, abs_tol=1e-12)


@given(expressions(n_vars=2, max_depth=6, ops=BUILTIN, max_ops=20), st.data())
def test_drawn_graphs_stay_inside_domains_bounds_and_away_from_kinks(expr, data):
    r = expr.input_bound
    corners = [(-r, -r), (-r, r), (r, -r), (r, r), (0.0, 0.0)]
    for inputs in corners + [data.draw(expr.inputs())]:
        y = expr.build(inputs)  # never a domain error
        lo, hi = expr.interval
        assert lo - 1e-9 * BOUND <= y.data <= hi + 1e-9 * BOUND
        for v in ag.topological_order(y):
            assert math.isfinite(v.data) and abs(v.data) <= BOUND * (1 + 1e-12)
            op = v.op_entry
            if op is None:
                continue
            for i, p in enumerate(v.parents):
                domain = op.domains[0 if op.arity == -1 else i]
                assert p.data in domain, (str(expr), op.name, p.data)
                for k in op.kinks:
                    assert abs(p.data - k) >= 0.25 - 1e-12, (str(expr), op.name, p.data)
            if op.param is not None and op.arity != -1:
                assert v.arg in op.param_domain


def test_shrinks_to_the_smallest_expression():
    for name in ("tanh", "mul", "exp"):
        # derandomized: a fixed search, so a rare unlucky draw cannot make the test flaky
        found = find(expressions(ops=BUILTIN), lambda e, n=name: n in e.op_names,
                     settings=settings(database=None, max_examples=500, derandomize=True))
        assert str(found) == {"tanh": "tanh(x0)", "mul": "x0 * x0", "exp": "exp(x0)"}[name]
    log = find(expressions(ops=BUILTIN), lambda e: "log" in e.op_names,
               settings=settings(database=None, max_examples=500, derandomize=True))
    assert str(log) == "log(softplus(x0) + 0.25)"  # the domain guard: log's input kept >= 0.25


def test_shrinking_finds_a_planted_wrong_op():
    # A custom op with a wrong derivative (cos would be right): the failing graph shrinks to the op alone.
    bad = ag.define_op("testing_bad_sin", math.sin, [lambda x, out: -ag.cos(x)], sympy=None)
    try:
        def gradient_is_wrong(pair):
            expr, inputs = pair
            leaves, y = build(expr, inputs)
            y.backward()
            return any(not math.isclose(leaf.grad, numeric_gradient(expr, inputs, i), rel_tol=1e-5, abs_tol=1e-6)
                       for i, leaf in enumerate(leaves))

        ops = ["add", "mul", "tanh", "exp", "log", "relu", bad]
        expr, inputs = find(expressions_and_inputs(n_vars=2, ops=ops), gradient_is_wrong,
                            settings=settings(database=None, max_examples=2000, derandomize=True))
        assert str(expr) == "testing_bad_sin(x0)"
    finally:
        del OPS["testing_bad_sin"]


def test_custom_ops_are_drawn_by_default():
    ag.define_op("testing_cube", lambda x: x ** 3, [lambda x, out: 3 * x * x],
                        sympy=lambda x: x ** 3)
    try:
        # derandomized searches: fixed, so a rare unlucky draw cannot make the test flaky
        found = find(expressions(), lambda e: "testing_cube" in e.op_names,
                     settings=settings(database=None, derandomize=True, max_examples=2000))
        assert str(found) == "testing_cube(x0)"
        two = find(expressions(max_depth=3), lambda e: e.op_names.count("testing_cube") == 1 and e.size >= 2 and
                   e.op_names[-1] != "testing_cube",
                   settings=settings(database=None, derandomize=True, max_examples=2000))
        # an unknown op's output range is squeezed with tanh before another op uses it
        assert "tanh(testing_cube(" in str(two)
    finally:
        del OPS["testing_cube"]


def test_shared_subexpressions_are_drawn_and_built_shared():
    found = find(expressions(n_vars=1, max_depth=2, ops=["tanh", "mul"], shared=True),
                 lambda e: str(e) == "tanh(x0) * tanh(x0)" and e.size == 2,
                 settings=settings(database=None, max_examples=2000, derandomize=True))
    y = found.build([0.5])
    tanh_nodes = [v for v in ag.topological_order(y) if v.op == "tanh"]
    assert len(tanh_nodes) == 1  # one node, used twice
    assert found.size == 2


@given(expressions(ops=["tanh", "mul", "sin", "add"], shared=False, max_depth=4))
def test_unshared_expressions_are_trees(expr):
    y = expr.build([0.3, -0.7])
    uses: dict = {}
    for v in ag.topological_order(y):
        for p in v.parents:
            if p.op:
                uses[id(p)] = uses.get(id(p), 0) + 1
    assert all(n == 1 for n in uses.values())


def test_expressions_validates_its_arguments():
    with pytest.raises(ValueError, match="n_vars"):
        expressions(n_vars=0)
    with pytest.raises(ValueError, match="max_depth"):
        expressions(max_depth=0)
    with pytest.raises(ValueError, match="no op named 'tahn'"):
        expressions(ops=["tahn"])
    with pytest.raises(TypeError, match="expected an Op or an op name"):
        expressions(ops=[3])
    expr = find(expressions(n_vars=2, ops=["tanh"]), lambda e: True)
    with pytest.raises(ValueError, match="expected 2 inputs"):
        expr.build([1.0])
    assert expr.variables == ("x0", "x1") and expr.used_variables == (0,)


@given(st.data())
def test_values_stay_inside_the_domain_and_away_from_given_points(data):
    op = data.draw(st.sampled_from(BUILTIN))
    domain = op.domains[0]
    x = data.draw(values(domain, bound=5.0, margin=0.1, avoid=op.kinks, avoid_margin=0.2))
    assert x in domain and abs(x) <= 5.0
    assert all(abs(x - k) >= 0.2 for k in op.kinks)
    if math.isfinite(domain.lo):
        assert x >= domain.lo + 0.1 - 1e-12
    inputs, arg = data.draw(op_arguments(op))
    assert all(v in d for v, d in zip(inputs, op.domains))
    assert (arg is None) == (op.param is None)
    if arg is not None:
        assert arg in op.param_domain


@given(values(Domain(0.0, 1.0), margin=0.0))
def test_values_exclude_open_domain_ends(x):
    assert 0.0 < x < 1.0


@given(values(Domain(-3.0, 3.0, lo_open=False, hi_open=False, integer=True)))
def test_values_of_an_integer_domain_are_integers(x):
    assert x == int(x) and -3 <= x <= 3


def test_values_validates_its_arguments():
    with pytest.raises(TypeError, match="Domain"):
        values((0, 1))
    with pytest.raises(ValueError, match="margin"):
        values(margin=-1.0)
    with pytest.raises(ValueError, match="nothing left"):
        values(Domain(0.0, 1.0), avoid=(0.5,), avoid_margin=1.0)


def test_importing_the_strategies_without_hypothesis_names_the_test_extra():
    code = ("import sys; sys.modules['hypothesis'] = None; sys.modules['hypothesis.strategies'] = None\n"
            "try:\n    import autograd_core.testing\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "autograd-core[test]" in out and "hypothesis" in out


@given(values(Domain(5.0, math.inf), bound=2.0, margin=0.25))
def test_values_of_a_domain_beyond_the_bound_stay_near_its_end(x):
    assert 5.25 <= x <= 7.25


def test_a_custom_op_with_a_narrow_domain_and_a_parameter_is_drawn_inside_them():
    shifted = ag.define_op("testing_shifted_log", lambda x, c: math.log(x - c), [lambda x, out, c: 1 / (x - c)],
                           param="shift", domains=(Domain(20.0, 30.0),), param_domain=Domain(5.0, 10.0),
                           sympy=None)
    try:
        strategy = expressions_and_inputs(ops=[shifted, "tanh"], max_depth=3)

        @settings(database=None)
        @given(strategy)
        def check(pair):
            expr, inputs = pair
            y = expr.build(inputs)
            for v in ag.topological_order(y):
                if v.op == "testing_shifted_log":
                    assert 20.0 < v.parents[0].data < 30.0 and 5.0 < v.arg < 10.0
            y.backward()

        check()
        found = find(strategy, lambda pair: "testing_shifted_log" in pair[0].op_names,
                     settings=settings(database=None, derandomize=True, max_examples=2000))
        # the input squeezed into a window of (20, 30), the parameter drawn from (5, 10)
        assert str(found[0]).startswith("testing_shifted_log(22.25 + 2.0 * tanh(x0), shift=")
    finally:
        del OPS["testing_shifted_log"]


@given(expressions_and_inputs(**RANDOM))
def test_random_graphs_under_anomaly_mode_and_scopes_give_the_same_gradients(pair):
    # valid graphs raise no anomaly, and the checked backward computes the same numbers as the plain one
    expr, inputs = pair
    plain_leaves, plain = build(expr, inputs)
    plain.backward()
    with ag.detect_anomaly(), ag.scope("random"):
        leaves, y = build(expr, inputs)
        y.backward()
    assert y.data == plain.data
    assert y.scope == "random"
    for a, b in zip(leaves, plain_leaves):
        assert math.isclose(a.grad, b.grad, rel_tol=1e-15, abs_tol=1e-300)
