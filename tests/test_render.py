"""Rendering: DOT labels and edge derivatives, SVG through dot, scope clusters, max_nodes, missing pieces, text tree.

The DOT source is written by render.py itself, so only the tests that render it (SVG, PNG) need Graphviz's ``dot``
program; none needs the graphviz Python package.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd_core as ag
from autograd_core import Value
from autograd_core.render import (
    FORMATS,
    DotError,
    DotNotFoundError,
    Drawing,
    escape_record,
    render_to,
    text_tree,
    to_svg,
)
from autograd_core.trace import backward_steps, node_names

SVG = "{http://www.w3.org/2000/svg}"
LABEL = r'label=("(?:[^"\\]|\\.)*"|[^\s\]]+)'


def needs_dot() -> None:
    """Skip the calling test when Graphviz's ``dot`` program is not on PATH (rendering to SVG/PNG runs it)."""
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot program is not installed (apt-get install graphviz)")


def fake_dot(folder: Path, script: str) -> Path:
    """A folder holding an executable ``dot`` that runs the given shell script, to put on PATH instead of Graphviz."""
    if os.name == "nt":
        pytest.skip("the stand-in dot is a shell script")
    folder.mkdir(parents=True, exist_ok=True)
    dot = folder / "dot"
    dot.write_text("#!/bin/sh\n" + script + "\n")
    dot.chmod(0o755)
    return folder


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
    needs_dot()
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
    needs_dot()
    h = neuron()[0]
    with pytest.raises(ValueError, match="cannot tell the format"):
        render_to(h, tmp_path / "graph")
    with pytest.raises(ValueError, match="unknown format 'docx'"):
        render_to(h, tmp_path / "graph.docx")
    with pytest.raises(TypeError, match="draw options"):
        render_to(ag.draw(h), tmp_path / "g.svg", rankdir="TB")
    with pytest.raises(TypeError, match="expected a Value or a Drawing from draw"):
        render_to(3.0, tmp_path / "g.svg")
    assert render_to(h, tmp_path / "graph", format="svg").read_text().lstrip().startswith("<?xml")
    assert os.listdir(tmp_path) == ["graph"]


LABEL_CHARS = st.text(alphabet='ab{}|<>"\\&;\'/:=#lné→[]()', min_size=1, max_size=20).filter(
    lambda s: s.strip() == s)


@settings(max_examples=25)
@given(LABEL_CHARS)
def test_labels_with_special_characters_are_escaped_in_records(label):
    needs_dot()
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
    x = Value(1.0, label="x" * 200)
    (lab, _), = [v for v in parse_dot(ag.draw(x).source)[0].values()]
    assert lab == "{ " + "x" * 37 + "... | data 1 | grad 0 }"


def test_highlight_a_step_shows_grads_so_far_and_marks_the_node():
    needs_dot()
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
    needs_dot()
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
    needs_dot()
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
    needs_dot()
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
        ["layer0", "layer1", "layer2"]
    # the root is never collapsed: the picture always shows the value it is of
    assert any(lab.startswith("{ " + node_names(loss)[loss] + " ") for lab, _ in nodes2.values())
    # a highlighted node inside a collapsed box marks the box
    inner = next(v for v in ag.topological_order(loss) if v.scope == "layer1/neuron2" and not v.is_leaf)
    marked = [ln for ln in ag.draw(loss, max_nodes=40, highlight=inner).source.splitlines() if "#ffd54f" in ln]
    assert len(marked) == 1 and "neuron2: " in marked[0]
    svg_texts(to_svg(loss, max_nodes=40))


def test_over_max_nodes_without_scopes_raises_and_says_how_to_collapse():
    x = Value(0.5, label="x")
    y = x
    for _ in range(600):
        y = y.sin()
    with pytest.raises(ValueError) as err:
        ag.draw(y)
    message = str(err.value)
    assert "601 values, more than max_nodes=200" in message
    assert "autograd_core.scope(" in message and "raise max_nodes" in message
    assert ag.draw(y, max_nodes=601).source.count("shape=record") == 601


def test_drawing_needs_no_python_package(monkeypatch, tmp_path):
    h = neuron()[0]
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` raise ImportError
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # and no dot program either
    drawing = ag.draw(h)
    assert isinstance(drawing, Drawing) and drawing.source.startswith("digraph computation_graph {")
    assert render_to(h, tmp_path / "g.dot").read_text(encoding="utf-8") == drawing.source
    assert render_to(drawing, tmp_path / "g.gv").read_text(encoding="utf-8") == drawing.source
    assert drawing._repr_svg_() is None and h._repr_svg_() is None  # Jupyter falls back to the repr
    assert h.graph().startswith("h = tanh(add#1)")  # the text tree needs nothing
    assert sorted(os.listdir(tmp_path)) == ["g.dot", "g.gv"]


# a fresh interpreter in which `import graphviz` fails and no dot is on PATH: what a plain `pip install .` gives
NO_GRAPHVIZ = textwrap.dedent("""\
    import sys
    sys.modules["graphviz"] = None
    from autograd_core import Value, render
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = x * y
    f.backward()
    print(render.render_to(f, sys.argv[1]))
    try:
        render.to_svg(f)
    except render.DotNotFoundError as e:
        print("DotNotFoundError:", e)
""")


def test_dot_source_in_a_process_without_graphviz_package_or_program(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = subprocess.run([sys.executable, "-c", NO_GRAPHVIZ, str(tmp_path / "g.dot")], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, env={**os.environ, "PATH": str(empty)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str(tmp_path / "g.dot")
    assert lines[1].startswith("DotNotFoundError: to_svg: rendering to svg needs Graphviz's `dot` program")
    source = (tmp_path / "g.dot").read_text(encoding="utf-8")
    assert source.startswith("digraph computation_graph {") and "{ x | data 2 | grad 3 }" in source


def test_without_dot_binary_rendering_says_how_to_install(monkeypatch, tmp_path):
    h = neuron()[0]
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no dot anywhere on PATH
    with pytest.raises(DotNotFoundError) as err:
        render_to(h, tmp_path / "g.svg")
    assert "apt-get install graphviz" in str(err.value) and "brew install graphviz" in str(err.value)
    assert isinstance(err.value, DotError) and isinstance(err.value, RuntimeError)
    assert err.value.format == "svg" and "brew install graphviz" in DotNotFoundError.install
    with pytest.raises(DotNotFoundError, match="dot"):
        to_svg(h)
    with pytest.raises(DotNotFoundError, match="^Drawing.pipe: rendering to png"):
        ag.draw(h).pipe("png")
    assert os.listdir(tmp_path) == []  # nothing half-written
    assert render_to(h, tmp_path / "g.dot").read_text().startswith("digraph")  # .dot needs no binary


def test_a_failing_dot_raises_dot_error_with_its_message(monkeypatch, tmp_path):
    h = neuron()[0]
    folder = fake_dot(tmp_path / "bin", 'while read -r line; do :; done; echo "Error: something broke" >&2; exit 3')
    monkeypatch.setenv("PATH", str(folder))
    with pytest.raises(DotError) as err:
        render_to(h, tmp_path / "g.svg")
    assert not isinstance(err.value, DotNotFoundError)
    assert str(err.value) == "render_to: Graphviz's dot could not render svg: Error: something broke"
    assert (err.value.format, err.value.detail) == ("svg", "Error: something broke")
    assert sorted(os.listdir(tmp_path)) == ["bin"]  # nothing written
    with pytest.raises(DotError, match="^to_svg: "):
        to_svg(h)
    with pytest.raises(DotError):  # Jupyter shows a real failure instead of hiding it
        ag.draw(h)._repr_svg_()
    assert h._repr_svg_() is None  # a bare Value falls back to its repr


def test_drawing_is_dot_text_rendered_by_the_dot_program(tmp_path):
    h = neuron()[0]
    h.backward()
    drawing = ag.draw(h)
    assert str(drawing) == drawing.source and drawing.source.endswith("}\n")
    assert ".source" in repr(drawing) and "render_to" in repr(drawing)
    with pytest.raises(TypeError, match="Drawing: source must be DOT text"):
        Drawing(b"digraph {}")
    for bad in ("", "-o/tmp/x", "svg png", 3):
        with pytest.raises(ValueError, match="Drawing.pipe: format must be"):
            drawing.pipe(bad)
    assert {"svg", "png", "pdf"} <= FORMATS
    needs_dot()
    svg = drawing.pipe("svg", encoding="utf-8")
    assert svg == to_svg(drawing) == drawing._repr_svg_() == drawing._repr_image_svg_xml()
    assert drawing.pipe("png").startswith(b"\x89PNG\r\n\x1a\n")
    assert "h (step 0)" in svg_texts(svg)
    # what the value's Jupyter picture shows
    svg_texts(h._repr_svg_())


def test_render_accepts_any_object_with_dot_source(tmp_path):
    class Source:  # e.g. graphviz.Source or graphviz.Digraph
        source = 'digraph { a -> "b c" }'

    assert render_to(Source(), tmp_path / "s.dot").read_text(encoding="utf-8") == Source.source
    needs_dot()
    assert "b c" in svg_texts(to_svg(Source()))


def test_dot_source_quotes_what_dot_would_misread():
    # reserved words and non-identifiers are quoted, a quote inside is escaped, a number stays bare
    with ag.scope("node"):
        with ag.scope("a b"):
            y = Value(2.0, label="graph") * Value(-0.5, label="x")
    lines = [ln.strip() for ln in ag.draw(y).source.splitlines()]
    assert 'graph [color="#7f8c8d" label="node" style=rounded]' in lines
    assert 'graph [color="#7f8c8d" label="a b" style=rounded]' in lines
    assert "v1 -> o0 [label=-0.5]" in lines or "v2 -> o0 [label=-0.5]" in lines
    assert any(ln.startswith('v1 [label="{ graph | data 2') or ln.startswith('v2 [label="{ graph | data 2')
               for ln in lines)


def test_plurals_in_boxes_and_messages():
    with ag.scope("big"):
        a = Value(1.0, label="a") + 1.0
    with ag.scope("one"):
        b = Value(2.0, label="b")
    y = a * b
    labels = [lab for lab, _ in parse_dot(ag.draw(y, max_nodes=3).source)[0].values()]
    assert sorted(lab for lab in labels if "value" in lab) == ["big: 3 values", "one: 1 value"]
    x = Value(0.5, label="x")
    z = x.sin()
    with pytest.raises(ValueError, match=r"\(0 top-level scopes, 2 values outside any scope\)"):
        ag.draw(z, max_nodes=1)
    with ag.scope("s"):
        w = Value(1.0, label="w") * 2.0
    with pytest.raises(ValueError, match=r"\(1 top-level scope, 1 value outside any scope\)"):
        ag.draw(w.sin(), max_nodes=1)


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


def test_nn_models_draw_without_user_action_at_any_width():
    # regression: MLP(2, [64, 64, 1]) raised ValueError advising scope(...) wrappers an nn user cannot add
    import nn

    for sizes, level in (([4, 4, 1], None), ([16, 16, 1], "neuron"), ([64, 64, 1], "layers.")):
        model = nn.MLP(2, sizes, seed=0)
        y = model([0.5, -1.0])
        nodes, edges = parse_dot(ag.draw(y).source)
        boxes = [lab for lab, _ in nodes.values() if lab.endswith(" values")]
        records = [lab for lab, _ in nodes.values() if lab.startswith("{")]
        assert len(boxes) + len(records) <= 200 and len(edges) <= 3 * 200 + len(nodes)
        if level is None:
            assert not boxes
        else:
            assert boxes and all(lab.startswith(level) for lab in boxes)
        # inputs are named as the lectures name them, and the output is drawn as itself
        assert [lab.split(" | ")[0] for lab in records if "x[" in lab] == ["{ x[0]", "{ x[1]"]
        assert any(lab.startswith("{ " + node_names(y)[y] + " ") for lab in records)
    # parameters live in their layer's and neuron's scope, so their clusters hold them
    layer = nn.MLP(2, [3, 1], seed=0).layers[0]
    assert {v.scope for v in layer.W[2] + [layer.b[2]]} == {"layers.0/neuron2"}
    assert nn.Neuron(2, seed=0).b.scope == "neuron"
    assert all(v.scope is None for v in nn.MLP(2, [3, 1], seed=0, scopes="none").parameters())


def test_parallel_edges_count_once_for_the_picture_and_too_many_edges_are_named():
    # regression: sum([x] * 700) (two values) was refused, its 700 parallel edges counted as 700
    x = Value(1.0, label="x")
    assert ag.draw(ag.sum([x] * 700)).source.count("shape=record") == 2
    # a graph of few values but many distinct edges: the message says so
    nodes = [Value(float(i)) for i in range(10)]
    for _ in range(25):  # each node sums every earlier one: 35 values, hundreds of edges
        nodes.append(ag.sum(nodes))
    y = nodes[-1]
    with pytest.raises(ValueError, match=r"values but \d+ edges between them, more than the 300 \(3 x max_nodes\)"):
        ag.draw(y, max_nodes=100)
