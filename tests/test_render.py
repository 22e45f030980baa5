"""Rendering: DOT labels and edge derivatives, SVG through dot, scope clusters, max_nodes, missing pieces, text tree."""

import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from autograd_core.render import DotNotFoundError, escape_record, render_to, text_tree, to_svg
from autograd_core.trace import backward_steps, node_names

SVG = "{http://www.w3.org/2000/svg}"
LABEL = r'label=("(?:[^"\\]|\\.)*"|[^\s\]]+)'


def needs_graphviz(dot: bool = False) -> None:
    """Skip the calling test when the graphviz Python package (the ``viz`` extra) is missing, or, with ``dot=True``,
    when Graphviz's ``dot`` program is not on PATH (rendering to SVG/PNG runs it)."""
    pytest.importorskip("graphviz", reason="the graphviz Python package is not installed (the viz extra)")
    if dot and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")


def neuron():
    w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(6.5, label="b")
    h = (w * x + b).tanh()
    h.label = "h"
    return h, w, x, b


def parse_dot(source: str) -> tuple:
    """Nodes {id: (label, cluster path)}, edges [(src, dst, label or None)], clusters {path: label} of draw()'s DOT."""
    nodes, edges, stack, labels = {}, [], [], {}
    for line in source.splitlines():
        s = line.strip()
        if s.startswith("subgraph cluster_"):
            stack.append(s.split()[1])
            continue
        if s == "}":
            if stack:
                stack.pop()
            continue
        m = re.search(LABEL, s)
        label = m.group(1) if m else None
        if label and label.startswith('"'):
            label = label[1:-1]
        if s.startswith("graph [") and stack:
            labels[tuple(stack)] = label
            continue
        e = re.match(r"(\w+) -> (\w+)", s)
        if e:
            edges.append((e.group(1), e.group(2), label))
            continue
        n = re.match(r"(\w+) \[", s)
        if n and n.group(1) not in ("graph", "node", "edge"):
            nodes[n.group(1)] = (label, tuple(stack))
    named = {path: tuple(labels[path[: k + 1]] for k in range(len(path))) for path in labels}
    nodes = {k: (lab, named.get(path, ())) for k, (lab, path) in nodes.items()}
    return nodes, edges


def svg_texts(svg: str) -> list:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    return ["".join(t.itertext()) for t in root.iter(SVG + "text")]


def test_dot_source_holds_records_ops_and_edge_derivatives():
    needs_graphviz()
    h, w, x, b = neuron()
    h.backward()
    nodes, edges = parse_dot(ag.draw(h).source)
    records = [lab for lab, _ in nodes.values() if lab.startswith("{")]
    assert f"{{ w | data -3 | grad {w.grad:.4g} }}" in records
    assert f"{{ x | data 2 | grad {x.grad:.4g} }}" in records
    assert f"{{ h (step 0) | data {h.data:.4g} | grad 1 }}" in records
    assert sorted(lab for lab, _ in nodes.values() if not lab.startswith("{")) == ["tanh(·)", "· * ·", "· + ·"]
    # one labelled edge per (node, input) pair, carrying that local derivative
    labelled = sorted(lab for _, _, lab in edges if lab is not None)
    expected = sorted(f"{d:.4g}" for v in ag.topological_order(h) for d in v.local_derivatives())
    assert labelled == expected
    nodes2, edges2 = parse_dot(ag.draw(h, show_local=False, show_grads=False, rankdir="TB").source)
    assert all(lab is None for _, _, lab in edges2)
    assert not any("grad" in lab for lab, _ in nodes2.values())
    assert "rankdir=TB" in ag.draw(h, rankdir="TB").source


@st.composite
def small_graphs(draw):
    xs = [Value(draw(st.floats(-2, 2)), label=f"x{i}") for i in range(draw(st.integers(1, 3)))]
    nodes = list(xs)
    for _ in range(draw(st.integers(1, 10))):
        a, c = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        kind = draw(st.integers(0, 3))
        nodes.append(a * c if kind == 0 else a + c if kind == 1 else a.tanh() if kind == 2 else ag.sum([a, c, a]))
    return nodes[-1]


@given(small_graphs())
def test_every_edge_and_node_of_random_graphs_is_drawn(root):
    needs_graphviz()
    order = ag.topological_order(root)
    nodes, edges = parse_dot(ag.draw(root).source)
    records = {k for k, (lab, _) in nodes.items() if lab.startswith("{")}
    assert len(records) == len(order)
    interior = [v for v in order if not v.is_leaf]
    # op -> result edges, plus one edge per input (parallel edges for x * x stay separate)
    assert len(edges) == len(interior) + sum(len(v.parents) for v in interior)
    labelled = sorted(lab for _, _, lab in edges if lab is not None)
    assert labelled == sorted(f"{d:.4g}" for v in interior for d in v.local_derivatives())
    names = node_names(root)
    for v in interior:
        assert any(lab.startswith("{ " + escape_record(names[v]) + " (step ") for lab, _ in nodes.values())


def test_svg_through_dot_is_valid_and_shows_the_values(tmp_path):
    needs_graphviz(dot=True)
    h, w, x, b = neuron()
    h.backward()
    texts = svg_texts(to_svg(h))
    for want in ("w", "x", "b", "h (step 0)", "tanh(·)", f"grad {x.grad:.4g}", "data 6.5"):
        assert want in texts, want
    out = render_to(h, tmp_path / "g.svg")
    assert out == tmp_path / "g.svg"
    svg_texts(out.read_text(encoding="utf-8"))
    png = render_to(ag.draw(h), tmp_path / "g.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    dot = render_to(h, tmp_path / "g.dot").read_text(encoding="utf-8")
    assert dot == ag.draw(h).source
    assert sorted(os.listdir(tmp_path)) == ["g.dot", "g.png", "g.svg"]  # no temporary files left behind
    svg = h._repr_svg_()
    svg_texts(svg[svg.index("<svg"):])


def test_render_to_rejects_bad_formats_and_arguments(tmp_path):
    needs_graphviz(dot=True)
    h = neuron()[0]
    with pytest.raises(ValueError, match="cannot tell the format"):
        render_to(h, tmp_path / "graph")
    with pytest.raises(ValueError, match="unknown format 'docx'"):
        render_to(h, tmp_path / "graph.docx")
    with pytest.raises(TypeError, match="draw options"):
        render_to(ag.draw(h), tmp_path / "g.svg", rankdir="TB")
    with pytest.raises(TypeError, match="expected a Value or a graphviz graph"):
        render_to(3.0, tmp_path / "g.svg")
    assert render_to(h, tmp_path / "graph", format="svg").read_text().lstrip().startswith("<?xml")
    assert os.listdir(tmp_path) == ["graph"]


LABEL_CHARS = st.text(alphabet='ab{}|<>"\\&;\'/:=#lné→[]()', min_size=1, max_size=20).filter(
    lambda s: s.strip() == s)


@settings(max_examples=25)
@given(LABEL_CHARS)
def test_labels_with_special_characters_are_escaped_in_records(label):
    needs_graphviz(dot=True)
    x = Value(2.0, label=label)
    y = x * 3.0
    y.label = label + "!"
    texts = svg_texts(to_svg(y))  # dot parses the source: a bad escape would fail or garble the text
    assert label in texts
    assert label + "! (step 0)" in texts


def test_escape_record_examples():
    assert escape_record('a"b') == 'a\\"b'
    assert escape_record("{x|<p>}") == "\\{x\\|\\<p\\>\\}"
    assert escape_record("a\\lb") == "a\\\\lb"
    assert escape_record("two\nlines") == "two lines"


def test_long_labels_are_shortened_in_pictures():
    needs_graphviz()
    x = Value(1.0, label="x" * 200)
    (lab, _), = [v for v in parse_dot(ag.draw(x).source)[0].values()]
    assert lab == "{ " + "x" * 37 + "... | data 1 | grad 0 }"


def test_highlight_a_step_shows_grads_so_far_and_marks_the_node():
    needs_graphviz(dot=True)
    h, w, x, b = neuron()
    steps = list(backward_steps(h))
    frame = ag.draw(h, highlight=steps[1])
    nodes, edges = parse_dot(frame.source)
    src = frame.source
    current = [ln for ln in src.splitlines() if "#ffd54f" in ln]
    assert len(current) == 1 and "add#1 (step 1)" in current[0]
    visited = [ln for ln in src.splitlines() if "#dbe9f6" in ln]
    assert len(visited) == 1 and "h (step 0)" in visited[0]
    # after step 1 the mul node has its gradient but w and x (updated in step 2) still show 0
    so_far = steps[1].grads_so_far()
    labels = [lab for lab, _ in nodes.values()]
    assert f"{{ w | data -3 | grad {so_far[w]:.4g} }}" in labels and so_far[w] == 0.0
    assert f"{{ b | data 6.5 | grad {so_far[b]:.4g} }}" in labels and so_far[b] != 0.0
    active = [lab for _, _, lab in edges if lab and "=" in lab]
    assert sorted(active) == sorted(f"{u.local:.4g} x {steps[1].upstream:.4g} = {u.contribution:+.4g}"
                                    for u in steps[1].updates)
    # highlighting a Value marks only that node
    src2 = ag.draw(h, highlight=x).source
    assert [ln for ln in src2.splitlines() if "#ffd54f" in ln][0].strip().startswith("v")
    assert "#dbe9f6" not in src2
    svg_texts(to_svg(frame))


def test_draw_rejects_bad_arguments():
    needs_graphviz()
    h, w, x, b = neuron()
    with pytest.raises(ValueError, match="rankdir must be one of"):
        ag.draw(h, rankdir="XY")
    with pytest.raises(ValueError, match="not part of the graph"):
        ag.draw(h, highlight=Value(1.0))
    with pytest.raises(TypeError, match="highlight must be a Value or a Step"):
        ag.draw(h, highlight=3)
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        ag.draw(h, max_nodes=0)
    with pytest.raises(TypeError, match="draw: root must be a Value"):
        ag.draw(1.0)


def layered(n_layers: int = 2, width: int = 3, n_in: int = 2):
    xs = [Value(0.1 * (i + 1), label=f"x{i}") for i in range(n_in)]
    h = xs
    for layer in range(n_layers):
        with ag.scope(f"layer{layer}"):
            out = []
            for j in range(width):
                with ag.scope(f"neuron{j}"):
                    ws = [Value(0.3 - 0.1 * k, label=f"w{k}") for k in range(len(h))]
                    out.append(ag.sum([wk * hk for wk, hk in zip(ws, h)], start=0.1).tanh())
            h = out
    with ag.scope("loss"):
        loss = ag.sum(h) ** 2
    return loss


def test_scopes_are_nested_clusters():
    needs_graphviz(dot=True)
    loss = layered()
    nodes, _ = parse_dot(ag.draw(loss).source)
    paths = {path for _, path in nodes.values()}
    assert ("layer0", "neuron0") in paths and ("layer1", "neuron2") in paths and ("loss",) in paths
    assert () in paths  # the inputs are outside every scope
    for v in ag.topological_order(loss):
        want = tuple(v.scope.split("/")) if v.scope else ()
        matching = [p for lab, p in nodes.values() if lab.startswith("{ " + node_names(loss)[v] + " ")]
        assert matching == [want]
    svg = to_svg(loss)
    clusters = [g for g in ET.fromstring(svg).iter(SVG + "g") if g.get("class") == "cluster"]
    assert len(clusters) == 2 + 2 * 3 + 1


def test_scope_names_with_special_characters_are_drawn_literally():
    needs_graphviz(dot=True)
    for name in ('a"b', "c\\d", "{e|f}", "<g>", 'h\\"'):
        with ag.scope(name):
            with ag.scope("inner"):
                y = Value(2.0, label="x") * 3.0
        texts = svg_texts(to_svg(y))
        assert name in texts and "inner" in texts
        box = parse_dot(ag.draw(y * 1.0 + 1.0, max_nodes=5).source)[0]
        assert any(lab.startswith("inner: ") for lab, _ in box.values())
        assert f"{name}" in svg_texts(to_svg(y * 1.0 + 1.0, max_nodes=5))


def test_over_max_nodes_scopes_collapse_into_boxes():
    needs_graphviz(dot=True)
    loss = layered(n_layers=3, width=4, n_in=3)
    n = len(ag.topological_order(loss))
    nodes, edges = parse_dot(ag.draw(loss, max_nodes=40).source)
    boxes = [lab for lab, _ in nodes.values() if lab.endswith(" values")]
    records = [lab for lab, _ in nodes.values() if lab.startswith("{")]
    assert boxes and len(boxes) + len(records) <= 40
    assert sorted(boxes)[0].startswith("neuron0: ")  # the deepest level that fits: neurons, inside layer clusters
    assert {p for lab, p in nodes.values() if lab.endswith(" values")} == {("layer0",), ("layer1",), ("layer2",)}
    assert sum(int(lab.split(": ")[1].split()[0]) for lab in boxes) + len(records) == n
    # coarser when needed: whole layers
    nodes2, _ = parse_dot(ag.draw(loss, max_nodes=12).source)
    assert sorted(lab.split(":")[0] for lab, _ in nodes2.values() if lab.endswith(" values")) == \
        ["layer0", "layer1", "layer2", "loss"]
    # a highlighted node inside a collapsed box marks the box
    inner = next(v for v in ag.topological_order(loss) if v.scope == "layer1/neuron2" and not v.is_leaf)
    marked = [ln for ln in ag.draw(loss, max_nodes=40, highlight=inner).source.splitlines() if "#ffd54f" in ln]
    assert len(marked) == 1 and "neuron2: " in marked[0]
    svg_texts(to_svg(loss, max_nodes=40))


def test_over_max_nodes_without_scopes_raises_and_says_how_to_collapse():
    needs_graphviz()
    x = Value(0.5, label="x")
    y = x
    for _ in range(600):
        y = y.sin()
    with pytest.raises(ValueError) as err:
        ag.draw(y)
    message = str(err.value)
    assert "601 values, more than max_nodes=500" in message
    assert "autograd_core.scope(" in message and "raise max_nodes" in message
    assert ag.draw(y, max_nodes=601).source.count("shape=record") == 601


def test_without_graphviz_package_draw_names_the_viz_extra(monkeypatch, tmp_path):
    h = neuron()[0]
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` raise ImportError
    with pytest.raises(ImportError, match=re.escape("pip install 'autograd-core[viz]'")):
        ag.draw(h)
    with pytest.raises(ImportError, match="viz"):
        render_to(h, tmp_path / "never-written.svg")
    assert h._repr_svg_() is None  # Jupyter falls back to the repr
    assert h.graph().startswith("h = tanh(add#1)")  # the text tree needs nothing
    assert os.listdir(tmp_path) == []


def test_without_dot_binary_rendering_says_how_to_install(monkeypatch, tmp_path):
    needs_graphviz()
    h = neuron()[0]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no dot anywhere on PATH
    with pytest.raises(DotNotFoundError) as err:
        render_to(h, tmp_path / "g.svg")
    assert "apt-get install graphviz" in str(err.value) and "brew install graphviz" in str(err.value)
    assert isinstance(err.value, RuntimeError)
    with pytest.raises(DotNotFoundError, match="dot"):
        to_svg(h)
    assert os.listdir(tmp_path) == []  # nothing half-written
    assert render_to(h, tmp_path / "g.dot").read_text().startswith("digraph")  # .dot needs no binary


def test_text_tree_shows_shared_subexpressions_once():
    x = Value(2.0, label="x")
    y = x * x
    y.label = "y"
    s = (y + y).tanh()
    s.label = "s"
    s.backward()
    lines = text_tree(s).splitlines()
    assert lines == [
        f"s = tanh(add#1)  data {s.data:.4g}  grad 1",
        f"└── add#1 = y + y  data 8  grad {s.parents[0].grad:.4g}",
        f"    ├── y = x * x  data 4  grad {y.grad:.4g}",
        f"    │   ├── x  data 2  grad {x.grad:.4g}",
        f"    │   └── x  data 2  grad {x.grad:.4g}",
        "    └── y (shown above)",
    ]
    assert s.graph() == text_tree(s)
    with ag.scope("layer1"):
        z = x + 1.0
    assert text_tree(z).splitlines()[0].endswith("[layer1]")


def test_text_tree_output_is_bounded():
    x = Value(1.0, label="x")
    y = x
    for _ in range(100):
        y = y + y  # 2**100 paths, 101 nodes: the tree stays small because reuse is referenced
    lines = text_tree(y, max_nodes=20).splitlines()
    assert len(lines) == 21
    assert lines[-1] == "... 181 more lines not shown (raise max_nodes=20, or draw the graph)"
    assert len(text_tree(y, max_nodes=10_000).splitlines()) == 1 + 2 * 100
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        text_tree(y, max_nodes=-1)
    with pytest.raises(TypeError, match="text_tree: expected a Value"):
        text_tree("y")
