"""The step-through page and the notebook views: structure, escaping, self-containment, the one layout, file
writing, and end to end in headless Chromium (the vendored WebAssembly Graphviz lays the graphs out; no ``dot``)."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from autograd_core import Value, backward_steps, parse_expression
from autograd_core.html import StepThrough, _text_width, step_page, step_page_html, step_through, value_html
from autograd_core.page import csp_hash
from autograd_core.trace import node_names

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "autograd_core" / "vendor"


def lecture(expr: str = "x*y + 3*x**2", **values: float) -> tuple[Value, dict]:
    values = values or {"x": -2.0, "y": -2.0}
    xs = {name: Value(v, label=name) for name, v in values.items()}
    return parse_expression(expr, xs), xs


def neuron() -> tuple[Value, dict]:
    w, x, b = Value(-3.0, label="w"), Value(2.0, label="x"), Value(6.8813735870195432, label="b")
    z = w * x + b
    z.label = "z"
    h = z.tanh()
    h.label = "h"
    return h, {"w": w, "x": x, "b": b}


def sections(page: str) -> list[dict]:
    """Each frame's attributes, title and text entries (one per line of the step, never broken)."""
    out = []
    for m in re.finditer(r'<section ([^>]*)>(.*?)</section>', page, flags=re.S):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
        title = re.search(r"<h2[^>]*>(.*?)</h2>", m.group(2), flags=re.S).group(1)
        entries = re.findall(r'<span class="entry">(.*?)</span>', m.group(2), flags=re.S)
        prose = re.findall(r"<p>(.*?)</p>", m.group(2), flags=re.S)
        out.append({**{k: html.unescape(v) for k, v in attrs.items()}, "title": html.unescape(title),
                    "entries": [html.unescape(e) for e in entries], "prose": [html.unescape(p) for p in prose],
                    "body": m.group(2)})
    return out


def graph_data(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page,
                                flags=re.S).group(1))


def states(diffs: list) -> list:
    """The frames' full states from the page's diffs, as the page's script builds them."""
    out, state = [], []
    for diff in diffs:
        state = list(state) + [None] * max(0, max((i for i, _ in diff), default=-1) + 1 - len(state))
        for i, v in diff:
            state[i] = v
        out.append(state)
    return out


def test_one_frame_per_step_between_forward_and_done():
    f, _ = lecture()
    page = step_page_html(f, title="x*y + 3*x**2")
    g, _ = lecture()
    steps = list(backward_steps(g))
    frames = sections(page)
    assert [fr["data-kind"] for fr in frames] == ["forward"] + ["step"] * len(steps) + ["done"]
    assert [fr["data-index"] for fr in frames] == [str(i) for i in range(len(frames))]
    # one counter: the engine's step numbers (the picture's "(step N)", the texts' "[N]")
    assert [fr["data-position"] for fr in frames] == (["forward pass"] + [f"step {s.index} of {len(steps)}"
                                                                          for s in steps] + ["backward done"])
    for fr, step in zip(frames[1:], steps):
        assert fr["data-node"] == step.name and fr["data-step"] == str(step.index)
        lines = step.format(4).split("\n")
        # the title and the entries are the step's text, one entry per input, each kept on one line
        assert [fr["title"], *fr["entries"]] == [lines[0].split("   -> ")[0].strip(),
                                                 "-> " + lines[0].split("   -> ")[1]] + [ln.strip()
                                                                                          for ln in lines[1:]]
    forward = " ".join(frames[0]["prose"])
    assert "The number on each edge is a local derivative, d node / d input" in forward
    root = node_names(g)[g]  # unlabelled: named by its op, as the stepper names it
    assert f"d {root} / d x = -14" in frames[-1]["entries"] and f"d {root} / d y = -2" in frames[-1]["entries"]
    assert '<input id="slider" type="range" min="0" max="5"' in page
    assert "frame " not in re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page, flags=re.S)  # no second counter


def test_page_leaves_the_gradients_backward_leaves():
    f, xs = lecture()
    step_page_html(f)
    g, ys = lecture()
    g.backward()
    assert (xs["x"].grad, xs["y"].grad) == (ys["x"].grad, ys["y"].grad)


def test_one_layout_and_frames_that_only_change_texts_and_colours():
    f, _ = lecture()
    page = step_page_html(f)
    data = graph_data(page)
    # one DOT text, laid out once
    assert page.count("digraph computation_graph") == 1 and data["dot"].startswith("digraph")
    full = states(data["full"])
    g, _ = lecture()
    steps = list(backward_steps(g))
    assert len(full) == len(steps) + 2 and all(len(s) == len(data["elements"]) for s in full)
    assert data["bare"] is None
    ids = data["elements"]
    for i, element in enumerate(ids):
        # every changing element is found by its id in the layout, which reserves room for the widest text the
        # element takes in any frame (a record's grad field, an edge's label)
        line = next(ln for ln in data["dot"].splitlines() if f'id="{element}"' in ln)
        texts = {s[i][0] for s in full if s[i][0]}
        label = re.search(r'label="((?:[^"\\]|\\.)*)"', line)
        if not texts:
            assert element.startswith("n_") or label is None
            continue
        laid_out = label.group(1).rsplit(" | ", 1)[-1].removesuffix(" }")
        assert laid_out in texts and _text_width(laid_out) == max(_text_width(t) for t in texts)
    # frame k highlights step k-1's node alone, and its edges carry local x upstream = contribution
    for k, step in enumerate(steps, start=1):
        current = [ids[i] for i, s in enumerate(full[k]) if s[2] and ids[i].startswith("n_")]
        assert len(current) == 1 and data["focus"][k][0] == current[0]
        red = sorted(s[0] for s in full[k] if s[1] == "#c62828")
        assert red == sorted(f"{u.local:.4g} x {step.upstream:.4g} = {u.contribution:+.4g}" for u in step.updates)
        shown = {s[0] for s in full[k] if s[0] and s[0].startswith("grad ")}
        assert {f"grad {v:.4g}" for v in step.grads_so_far().values()} <= shown | {"grad 0"}
    assert all(not s[2] for s in full[0]) and all(not s[2] for s in full[-1])
    assert {s[0] for i, s in enumerate(full[0]) if ids[i].startswith("n_")} == {""}  # forward: data only


def test_page_is_self_contained_and_its_csp_allows_only_its_own_scripts_and_style():
    f, _ = lecture()
    page = step_page_html(f)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    style = re.search(r"<style>(.*?)</style>", page, flags=re.S).group(1)
    assert csp.startswith("default-src 'none';") and "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert f"script-src {' '.join(csp_hash(s) for s in scripts)} 'wasm-unsafe-eval';" in csp
    assert f"style-src {csp_hash(style)};" in csp
    # the vendored Graphviz is inlined byte for byte, and it is the pinned file
    viz = (VENDOR / "viz-global.js").read_text(encoding="utf-8")
    assert scripts[0] == viz
    pin = re.search(r'SCRIPT_SHA256 = "([0-9a-f]{64})"', (ROOT / "scripts" / "vendor_viz.py").read_text())
    assert hashlib.sha256(viz.encode("utf-8")).hexdigest() == pin.group(1)
    assert page.count("<script") == len(scripts) + 1 and page.count("<style") == 1  # + the data block
    markup = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    for forbidden in ("http:", "https:", "//", " src=", "href", "<link", "<img", "<iframe", "@import", "url(",
                      "<?xml", "<!--", "<svg"):
        assert forbidden not in markup.replace("</", "<"), forbidden
    for script in scripts[1:]:  # the page's own scripts load nothing (the SVG namespace is a name, not a request)
        script = script.replace('"http://www.w3.org/2000/svg"', "")
        for forbidden in ("http", "fetch(", "XMLHttpRequest", "import(", "eval(", "innerHTML", "src"):
            assert forbidden not in script, forbidden
    ids = re.findall(r' id="([^"]+)"', markup)
    assert len(ids) == len(set(ids))


def test_the_vendored_graphviz_and_its_licences():
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    script = (VENDOR / "viz-global.js").read_bytes()
    assert "@viz-js/viz` 3.31.0" in readme and hashlib.sha256(script).hexdigest() in readme
    assert script.startswith(b"/*!\nViz.js 3.31.0\nCopyright (c) Michael Daines")
    assert b'graphvizVersion="16.1.0"' in script
    assert "Copyright (c) Michael Daines" in (VENDOR / "LICENSE-viz-js.txt").read_text()
    graphviz = (VENDOR / "LICENSE-graphviz.txt").read_text()
    assert "Eclipse Public License - v 1.0" in graphviz and "https://gitlab.com/graphviz/graphviz" in graphviz
    assert "Expat maintainers" in (VENDOR / "LICENSE-expat.txt").read_text()


def test_labels_and_title_are_data_never_markup():
    evil = '<script>alert("x")</script>&\'{|}'
    v = Value(2.0, label=evil)
    page = step_page_html(v * 3, title='</code><img src=x onerror="alert(1)">')
    assert page.count("<script>") == 3 and "<img" not in page.replace("&lt;img", "")
    assert "&lt;/code&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page  # in the frames' texts
    data = graph_data(page)
    assert "<" not in re.search(r'id="graph-data">(.*?)</script>', page, flags=re.S).group(1)
    assert '\\<script\\>alert(\\"x\\")' in data["dot"]  # escaped for Graphviz, which writes it as SVG text


def test_leaves_with_an_earlier_gradient_show_it_as_was():
    h, xs = neuron()
    xs["w"].grad = 2.0  # an earlier backward left this: the pass adds to it
    page = step_page_html(h)
    data = graph_data(page)
    full = states(data["full"])
    w_id = re.search(r'label="\{ w \|[^\n]* id="(n_v\d+)"', data["dot"]).group(1)
    w_texts = [s[data["elements"].index(w_id)][0] for s in full]
    assert w_texts[0] == "grad was 2" and w_texts[-1] == f"grad {xs['w'].grad:.4g} (was 2)"
    assert all("(was 2)" in t for t in w_texts[1:])
    frames = sections(page)
    assert "w already held a gradient from an earlier backward" in " ".join(frames[0]["prose"])
    # the summary gives this pass's derivative, and explains the accumulated grad
    assert "d h / d w = 1   (w.grad = 3: it was 2 before this pass)" in frames[-1]["entries"]
    assert xs["w"].grad == pytest.approx(3.0)


def test_step_page_writes_atomically_and_returns_the_step_count(tmp_path):
    f, _ = lecture()
    target = tmp_path / "page.html"
    assert step_page(f, target, title="x*y + 3*x**2") == 4
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    reference = tmp_path / "reference"
    reference.write_text("")  # the permissions an ordinary new file gets (not mkstemp's 0600)
    assert os.stat(target).st_mode & 0o777 == os.stat(reference).st_mode & 0o777
    reference.unlink()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        step_page(f, tmp_path / "missing" / "page.html")


def test_step_page_refuses_bad_input_before_touching_anything(tmp_path):
    f, xs = lecture()
    with pytest.raises(ValueError, match="4 steps, more than max_steps=3"):
        step_page(f, tmp_path / "page.html", max_steps=3)
    assert list(tmp_path.iterdir()) == [] and xs["x"].grad == 0.0
    with pytest.raises(TypeError, match="root must be a Value"):
        step_page_html(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="precision must be a positive int"):
        step_page_html(f, precision=0)
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT, got 'up'"):
        step_page_html(f, rankdir="up")
    assert xs["x"].grad == 0.0


def test_a_leaf_has_no_steps():
    frames = sections(step_page_html(Value(3.0, label="x")))
    assert [fr["data-kind"] for fr in frames] == ["forward", "done"]
    assert "d x / d x = 1" in frames[-1]["entries"]


def test_notebook_views_are_iframes_holding_a_whole_page(tmp_path, monkeypatch):
    h, _ = neuron()
    if shutil.which("dot") is not None:
        assert h._repr_html_() is None and h._repr_svg_().lstrip().startswith("<")  # dot's small static SVG
    monkeypatch.setenv("PATH", str(tmp_path))  # a machine without dot: the page lays the graph out itself
    view = h._repr_html_()
    assert view.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') and 'sandbox="allow-scripts"' in view
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', view).group(1))
    assert graph_data(page)["dot"].startswith("digraph") and "'wasm-unsafe-eval'" in page
    # a graph too big to draw even collapsed: None, and Jupyter shows the text repr
    t = Value(1.0)
    for _ in range(300):
        t = t * 1.01
    assert t._repr_html_() is None and value_html(h, max_nodes=2) is None
    with pytest.raises(TypeError, match="expected a Value"):
        value_html(3.0)  # type: ignore[arg-type]

    g, xs = lecture()
    steps = step_through(g, title="x*y + 3*x**2", height=500)
    assert isinstance(steps, StepThrough) and steps.steps == 4
    assert xs["x"].grad == pytest.approx(-14.0)  # the pass ran once
    assert steps.html().startswith("<!DOCTYPE html>") and "<code>x*y + 3*x**2</code>" in steps.html()
    assert steps._repr_html_().startswith("<iframe srcdoc=") and "height:500px" in steps._repr_html_()
    assert steps.save(tmp_path / "s.html").read_text(encoding="utf-8") == steps.html()
    assert "4 backward steps" in repr(steps)
    assert not hasattr(steps, "__dict__")  # only the page's text: the graph is never kept
    with pytest.raises(TypeError, match="unknown option"):
        step_through(g, colour="red")
    with pytest.raises(ValueError, match="height must be an int of at least 200"):
        step_through(g, height=10)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        steps.save(tmp_path / "nowhere" / "s.html")


# ------------------------------------------------------------------------------------------ the browser
def _load(browser, url: str) -> None:
    """Open a page and wait until its graph is laid out (the WebAssembly Graphviz: a fraction of a second)."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "return document.body.getAttribute('data-ready')"))
    assert browser.execute_script("return document.body.getAttribute('data-ready')") == "1"


def _clean_log(browser) -> None:
    """No console error (no CSP violation, no script error) and no request for anything: the page is all there is."""
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def _nonblank(path: Path) -> None:
    assert path.read_bytes().startswith(b"\x89PNG")
    try:
        from PIL import Image
    except ImportError:  # without Pillow: a blank screenshot compresses to a few kB
        assert path.stat().st_size > 10_000
        return
    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 20  # text, fills, edges: not one flat colour


_READ = """
var shown = Array.from(document.querySelectorAll("section.frame")).filter(function (s) { return !s.hidden; });
var sec = shown[0];
var svg = document.querySelector("#viewport svg");
var nodes = Array.from(svg.querySelectorAll("g.node"));
var first = nodes[0].getBoundingClientRect();
return {
  shown: shown.length, index: sec.getAttribute("data-index"), slider: document.getElementById("slider").value,
  position: document.getElementById("position").textContent, hash: location.hash,
  title: sec.querySelector("h2").textContent,
  entries: Array.from(sec.querySelectorAll(".entry:not(h2)")).map(function (e) { return e.textContent; }),
  marked: svg.getAttribute("data-marked"), svgs: document.querySelectorAll("svg").length,
  viewBox: svg.getAttribute("viewBox"), scale: document.getElementById("viewport").getAttribute("data-scale"),
  nodes: nodes.map(function (g) {
    var shape = g.querySelector("polygon, ellipse"), r = g.getBoundingClientRect(), b = g.getBBox();
    return {id: g.id, fill: shape.getAttribute("fill"),
            texts: Array.from(g.querySelectorAll("text")).map(function (t) { return t.textContent; }),
            box: [b.x, b.y, b.width, b.height].map(function (x) { return Math.round(x * 100) / 100; }),
            rel: [r.left - first.left, r.top - first.top].map(function (x) { return Math.round(x * 10) / 10; })};
  }),
  red: Array.from(svg.querySelectorAll("g.edge text")).filter(function (t) {
    return t.getAttribute("fill") === "#c62828"; }).map(function (t) { return t.textContent; })
};
"""


def _records(frame: dict) -> dict:
    """name -> (highlighted?, grad text) for the Value records of the picture (op ellipses skipped)."""
    out = {}
    for node in frame["nodes"]:
        texts = node["texts"]
        if len(texts) < 3 or not texts[1].startswith("data "):
            continue
        out[texts[0].split(" (step ")[0]] = (node["fill"] == "#ffd54f", texts[2])
    return out


def test_step_page_in_headless_chromium(browser, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    f, _ = lecture()
    page = tmp_path / "steps.html"
    step_page(f, page, title="x*y + 3*x**2")
    g, _ = lecture()
    steps = list(backward_steps(g))
    names = node_names(g)

    _load(browser, page.as_uri())
    browser.execute_script("document.querySelector('#viewport svg').setAttribute('data-marked', 'laid out once')")
    frame = browser.execute_script(_READ)
    assert (frame["shown"], frame["index"], frame["slider"], frame["position"]) == (1, "0", "0", "forward pass")
    assert frame["svgs"] == 1 and frame["scale"] == "1"  # one picture, at its natural size
    assert not any(hl for hl, _ in _records(frame).values())
    assert all(grad == "" for _, grad in _records(frame).values())  # the forward pass shows data only
    assert browser.find_element(By.ID, "prev").get_property("disabled")
    layout = [(n["id"], n["box"], n["rel"]) for n in frame["nodes"]]

    body = browser.find_element(By.TAG_NAME, "body")
    for k, step in enumerate(steps):
        if k % 2 == 0:
            browser.find_element(By.ID, "next").click()
        else:
            body.send_keys(Keys.ARROW_RIGHT)
        frame = browser.execute_script(_READ)
        assert (frame["shown"], frame["index"], frame["slider"]) == (1, str(k + 1), str(k + 1))
        assert frame["position"] == f"step {k} of {len(steps)}" and frame["hash"] == f"#step={k}"
        lines = step.format(4).split("\n")
        assert frame["title"] == lines[0].split("   -> ")[0].strip()
        assert frame["entries"][0] == "-> " + lines[0].split("   -> ")[1]
        records = _records(frame)
        assert [name for name, (hl, _) in records.items() if hl] == [step.name]  # the highlight moves
        so_far = step.grads_so_far()
        assert records == {names[v]: (v is step.node, f"grad {so_far[v]:.4g}") for v in so_far}
        assert sorted(frame["red"]) == sorted(f"{u.local:.4g} x {step.upstream:.4g} = {u.contribution:+.4g}"
                                              for u in step.updates)
        # the nodes never move: the same SVG, every node where it was (and where it is beside the others)
        assert frame["marked"] == "laid out once"
        assert [(n["id"], n["box"], n["rel"]) for n in frame["nodes"]] == layout
        if k == 1:
            browser.save_screenshot(str(tmp_path / "step.png"))
    assert records["x"][1] == "grad -14" and records["y"][1] == "grad -2"

    body.send_keys(Keys.ARROW_RIGHT)
    frame = browser.execute_script(_READ)
    assert frame["index"] == str(len(steps) + 1) and frame["hash"] == "#step=done"
    assert browser.find_element(By.ID, "next").get_property("disabled")
    browser.find_element(By.ID, "slider").send_keys(Keys.HOME)  # the slider, by keyboard
    assert browser.execute_script(_READ)["index"] == "0"
    body.send_keys(Keys.END)
    assert browser.execute_script(_READ)["index"] == str(len(steps) + 1)

    # zoom and pan change the view, never the layout
    before = browser.execute_script(_READ)
    body.send_keys("+")
    zoomed = browser.execute_script(_READ)
    assert float(zoomed["scale"]) == pytest.approx(1.25) and zoomed["viewBox"] != before["viewBox"]
    browser.execute_script("""document.getElementById("viewport").dispatchEvent(new WheelEvent("wheel",
        {deltaY: 200, clientX: 300, clientY: 300, bubbles: true, cancelable: true}));""")
    wheeled = browser.execute_script(_READ)
    assert float(wheeled["scale"]) < 1.25 and wheeled["viewBox"] != zoomed["viewBox"]
    viewport = browser.find_element(By.ID, "viewport")
    ActionChains(browser).move_to_element(viewport).click_and_hold().move_by_offset(-120, 40).release().perform()
    dragged = browser.execute_script(_READ)
    assert dragged["viewBox"].split()[2:] == wheeled["viewBox"].split()[2:]  # panned: same zoom, moved origin
    assert dragged["viewBox"].split()[:2] != wheeled["viewBox"].split()[:2]
    browser.find_element(By.ID, "zoom-fit").click()
    assert browser.execute_script(_READ)["scale"] != dragged["scale"]
    browser.find_element(By.ID, "zoom-actual").click()
    frame = browser.execute_script(_READ)
    assert frame["scale"] == "1" and browser.find_element(By.ID, "zoom-level").text == "100%"
    assert [(n["id"], n["box"], n["rel"]) for n in frame["nodes"]] == layout

    _nonblank(tmp_path / "step.png")
    _clean_log(browser)


def test_an_mlp_page_opens_the_frame_its_url_names_with_text_readable_at_100_percent(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    import nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    page = tmp_path / "mlp.html"
    n = step_page(loss, page)
    _load(browser, page.as_uri() + "#step=7")
    frame = browser.execute_script(_READ)
    assert (frame["index"], frame["position"], frame["hash"]) == ("8", f"step 7 of {n}", "#step=7")
    assert frame["scale"] == "1"
    heights = browser.execute_script("""return Array.from(document.querySelectorAll("#viewport svg text"))
        .filter(function (t) { return t.textContent.trim(); })
        .map(function (t) { return t.getBoundingClientRect().height; });""")
    assert len(heights) > 100 and min(heights) >= 10  # every label at least 10 px high at 100%
    # the highlighted node is in view: the page pans to the frame's step (it never moves nodes)
    inside = browser.execute_script("""var b = document.getElementById("viewport").getBoundingClientRect();
        var g = Array.from(document.querySelectorAll("#viewport g.node")).filter(function (g) {
          var s = g.querySelector("polygon"); return s && s.getAttribute("fill") === "#ffd54f"; });
        var r = g[0].getBoundingClientRect();
        return g.length === 1 && r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom;""")
    assert inside
    browser.save_screenshot(str(tmp_path / "mlp-step7.png"))
    browser.find_element(By.ID, "next").click()
    assert browser.execute_script("return location.hash") == "#step=8"
    browser.execute_script("location.hash = '#step=forward'")  # a link to a frame, followed in the page
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(_READ)["index"] == "0")
    _nonblank(tmp_path / "mlp-step7.png")
    _clean_log(browser)


def test_hostile_labels_and_earlier_gradients_in_chromium(browser, tmp_path):
    a = Value(1.5, label="<img src=x onerror=alert(1)>")
    b = Value(-2.0, label="</script><b id=bold>x</b>")
    a.grad = 0.25  # from an earlier backward
    page = tmp_path / "hostile.html"
    step_page(a * b + a, page, title="<i>title</i>")
    _load(browser, page.as_uri() + "#step=done")
    found = browser.execute_script("""return {
        img: document.querySelectorAll("img").length, b: document.querySelectorAll("b, #bold, i").length,
        scripts: document.querySelectorAll("script").length,
        texts: Array.from(document.querySelectorAll("#viewport text")).map(function (t) { return t.textContent; }),
        heading: document.querySelector("h1 + .expr").textContent};""")
    assert found["img"] == 0 and found["b"] == 0 and found["scripts"] == 4
    assert "<img src=x onerror=alert(1)>" in found["texts"] and "</script><b id=bold>x</b>" in found["texts"]
    assert "<i>title</i>" in found["heading"]
    record = _records(browser.execute_script(_READ))["<img src=x onerror=alert(1)>"]
    assert record[1] == f"grad {a.grad:.4g} (was 0.25)"
    browser.save_screenshot(str(tmp_path / "hostile.png"))
    _nonblank(tmp_path / "hostile.png")
    _clean_log(browser)


def test_notebook_frames_draw_their_graphs_in_chromium(browser, tmp_path, monkeypatch):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    h, _ = neuron()
    g, _ = lecture()
    monkeypatch.setenv("PATH", str(tmp_path))  # a notebook machine without dot: the Value shows as a page
    notebook = tmp_path / "notebook.html"
    # what Jupyter puts in a cell's output: a Value and a step-through, one after the other
    notebook.write_text("<!DOCTYPE html><html><body>" + h._repr_html_() + step_through(g)._repr_html_() +
                        "</body></html>", encoding="utf-8")
    browser.get(notebook.as_uri())
    frames = browser.find_elements(By.TAG_NAME, "iframe")
    assert len(frames) == 2
    drawn = []
    for frame in frames:
        browser.switch_to.frame(frame)
        WebDriverWait(browser, 30).until(lambda d: d.execute_script(
            "return document.body.getAttribute('data-ready')"))
        drawn.append(browser.execute_script("""return {ready: document.body.getAttribute("data-ready"),
            texts: Array.from(document.querySelectorAll("svg text")).map(function (t) { return t.textContent; })};"""))
        browser.switch_to.default_content()
    assert drawn[0]["ready"] == "1" and "data -6" in drawn[0]["texts"] and "h (step 0)" in drawn[0]["texts"]
    assert drawn[1]["ready"] == "1" and "x" in drawn[1]["texts"]
    browser.save_screenshot(str(tmp_path / "notebook.png"))
    _nonblank(tmp_path / "notebook.png")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


# ------------------------------------------------------------------------------------------ practice mode
def _used_twice():
    from autograd_core.practice import EXERCISES

    return EXERCISES["used-twice"].build()[0]


def test_practice_page_embeds_the_worksheet_and_reveals_nothing_without_asking():
    from autograd_core.practice import MISTAKES, worksheet

    page = step_page_html(_used_twice(), practice="both", tries=3)
    sheet = worksheet(_used_twice(), "both", title="p * s")
    frames = sections(page)
    assert [fr["data-kind"] for fr in frames] == ["forward", "step", "step", "step", "done"]
    data = json.loads(re.search(r'<script type="application/json" id="practice-data">(.*?)</script>', page,
                                flags=re.S).group(1))
    assert data == json.loads(json.dumps({**sheet.to_dict(), "tries": 3, "order": list(MISTAKES)}))
    ids = re.findall(r'<div class="question" data-q="(q\d+)"', page)
    assert ids == [q.id for q in sheet.questions()]
    # every answer, hint and solution sits in the data or in hidden elements: the visible markup has none
    visible = re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)
    visible = re.sub(r'<div class="solution" hidden>.*?</div></div>', "", visible, flags=re.S)
    for q in sheet.questions():
        assert q.right_text not in visible and q.show not in visible and q.hints[0] not in visible
    assert "upstream" not in visible  # a step's title names the node, not its gradient
    assert visible.count('<div class="solution" hidden>') == 0 and page.count('<div class="solution" hidden>') == 4
    # the picture shown before asking: no gradient, no local derivative on any edge
    graph = graph_data(page)
    bare, full = states(graph["bare"]), states(graph["full"])
    assert len(bare) == len(full) == len(frames)
    assert all(not s[0] for state in bare for s in state)
    assert any(s[0] and s[0].startswith("grad ") for s in full[1])
    # the page's scripts by hash (the vendored Graphviz, the viewer, the stepper, the practice), and two data blocks
    csp = re.search(r'content="([^"]*)"', page).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 4 and page.count("<script") == 6
    assert all(csp_hash(s) in csp for s in scripts)
    with pytest.raises(ValueError, match="practice must be None or one of"):
        step_page_html(_used_twice(), practice="all")


_FEEDBACK = """
var el = document.querySelector('.question[data-q="' + arguments[0] + '"]');
return {lines: Array.from(el.querySelectorAll(".feedback p")).map(function (p) { return p.textContent; }),
        classes: Array.from(el.querySelectorAll(".feedback p")).map(function (p) { return p.className; }),
        outcome: el.getAttribute("data-outcome"), shown: el.offsetParent !== null};
"""


def _answer(browser, qid: str, text: str) -> dict:
    """Type ``text`` into the answer box of question ``qid`` and press Enter, as a learner does."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element(By.ID, f"answer-{qid}")
    box.clear()
    box.send_keys(text + Keys.ENTER)
    return browser.execute_script(_FEEDBACK, qid)


_ANSWER_ALL = """
var el = document.querySelector('.question[data-q="' + arguments[0] + '"]');
var box = el.querySelector("input"), out = [];
arguments[1].forEach(function (text) {
  box.value = text;
  el.querySelector(".check").click();
  out.push(Array.from(el.querySelectorAll(".feedback p")).map(function (p) { return p.textContent; }));
});
return out;
"""


def test_practice_page_in_headless_chromium_judges_as_python_does(browser, tmp_path):
    from selenium.webdriver.common.by import By

    from autograd_core.practice import EXERCISES, worksheet

    root = EXERCISES["softmax-cross-entropy"].build()[0]
    page = tmp_path / "practice.html"
    step_page(root, page, title="-log softmax(z)[0]", practice="both", tries=100)
    sheet = worksheet(EXERCISES["softmax-cross-entropy"].build()[0], "both")
    _load(browser, page.as_uri())
    stage_frame = {st.index: (st.index + 1 if st.index is not None else None) for st in sheet.stages}
    n_frames = len(sections(page.read_text(encoding="utf-8")))
    for stage in sheet.stages:
        k = stage_frame[stage.index] if stage.index is not None else n_frames - 1
        browser.find_element(By.ID, "slider").send_keys(*(["\ue011"] + ["\ue014"] * k))  # Home, then right
        assert browser.execute_script(_READ)["index"] == str(k)
        for q in stage.questions:
            fb = browser.execute_script(_FEEDBACK, q.id)
            assert fb["shown"] and fb["lines"] == [] and fb["outcome"] is None
            # every mistake's number and a few expressions (one script call per question, the Check button per
            # answer): the page's verdict is Python's, word for word
            texts = [repr(c.value) for c in q.candidates] + ["1/3", "2*(-3)", "1e-5*1", "-0.000123*2",
                                                             "123456789*10", "2**0.5", "exp(1) - 1", "-(2)**2"]
            got = browser.execute_script(_ANSWER_ALL, q.id, texts)
            assert got == [list(sheet.diagnose(q, t).lines) for t in texts], q
            near = repr(q.answer * (1 + 4e-4))  # within the tolerance: right
            if q is stage.questions[0]:  # typed, as a learner types
                got = _answer(browser, q.id, "two")
                assert got["classes"] == ["invalid"] and "'two'" in got["lines"][0]
                got = _answer(browser, q.id, near)
            else:
                browser.execute_script(_ANSWER_ALL, q.id, [near])
                got = browser.execute_script(_FEEDBACK, q.id)
            assert got["lines"] == [q.right_text] and got["outcome"] == "retry"
    _clean_log(browser)


def test_practice_page_hints_show_summary_and_screenshot(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from autograd_core.practice import Summary, worksheet

    page = tmp_path / "practice.html"
    step_page(_used_twice(), page, practice="both")
    sheet = worksheet(_used_twice(), "both")
    _load(browser, page.as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    # the picture asks: no gradient and no local derivative shown until the step is revealed
    frame = browser.execute_script(_READ)
    assert all(grad == "" for _, grad in _records(frame).values()) and frame["red"] == []
    first, second = sheet.stages[0].questions[:2]
    el = browser.find_element(By.CSS_SELECTOR, f'.question[data-q="{first.id}"]')
    el.find_element(By.CLASS_NAME, "hint").click()
    el.find_element(By.CLASS_NAME, "hint").click()
    assert browser.execute_script(_FEEDBACK, first.id)["lines"] == [f"hint: {h}" for h in first.hints]
    _answer(browser, first.id, "-1")  # a sign error, and typing never turns the page
    assert browser.execute_script(_READ)["index"] == "1"
    el.find_element(By.CLASS_NAME, "show").click()
    fb = browser.execute_script(_FEEDBACK, first.id)
    assert fb["outcome"] == "shown" and fb["lines"][-1] == f"the answer: {first.show}"
    assert browser.find_element(By.ID, f"answer-{first.id}").get_property("readOnly")
    _answer(browser, second.id, repr(second.answer))
    solution = browser.find_elements(By.CSS_SELECTOR, ".solution")[0]
    assert not solution.is_displayed()
    browser.find_elements(By.CSS_SELECTOR, "button.reveal")[0].click()
    assert solution.is_displayed() and "upstream" in solution.text
    frame = browser.execute_script(_READ)  # the whole step: gradients and the step's edges in the picture
    assert any(grad.startswith("grad ") for _, grad in _records(frame).values()) and len(frame["red"]) == 2
    browser.save_screenshot(str(tmp_path / "practice-step.png"))
    body.send_keys(Keys.ARROW_RIGHT)
    third = sheet.stages[1].questions[0]
    fb = _answer(browser, third.id, "5")  # no classic mistake: the chain-rule step with the numbers
    assert fb["lines"] == list(sheet.diagnose(third, "5").lines) and fb["classes"] == ["wrong", "wrong"]
    # the leaves, on the last frame: a learner who forgets to sum, then corrects
    body.send_keys(Keys.END)
    leaf_b = sheet.question("gradient d f / d b")
    fb = _answer(browser, leaf_b.id, "-2")  # the term through p = a * b alone
    assert fb["lines"] == list(sheet.diagnose(leaf_b, "-2").lines)
    assert fb["lines"][0].startswith("forgot to sum over paths: b is used 2 times (p, s)")
    _answer(browser, leaf_b.id, "-8")
    browser.save_screenshot(str(tmp_path / "practice-leaves.png"))
    # the summary, as the terminal writes it (autograd_core.practice.Summary) for the same outcomes
    expected = Summary(len(sheet.questions()), 1, 1, 1, len(sheet.questions()) - 3,
                       {"sign_error": 1, "forgot_sum": 1}, {"sign_error": (first.prompt,), "forgot_sum":
                                                            (leaf_b.prompt,)}, 1)
    assert browser.find_element(By.ID, "summary").text == str(expected)
    for shot in ("practice-step.png", "practice-leaves.png"):
        _nonblank(tmp_path / shot)
    _clean_log(browser)


def test_page_paths_and_seeds_are_checked_before_any_work(tmp_path):
    # regression (review): a non-path gave an unnamed TypeError, another suffix got HTML, a nan seed a page of nan
    g, xs = lecture()
    with pytest.raises(TypeError, match=r"step_page: path must be a str or os.PathLike"):
        step_page(g, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"step_page: a page is HTML; give a path ending in \.html"):
        step_page(g, tmp_path / "steps.svg")
    with pytest.raises(ValueError, match=r"step_page: grad must be a finite seed"):
        step_page(g, tmp_path / "steps.html", grad=float("nan"))
    assert list(tmp_path.iterdir()) == [] and xs["x"].grad == 0.0  # nothing written, no pass run
    steps = step_through(g)
    with pytest.raises(TypeError, match=r"StepThrough\.save: path must be"):
        steps.save(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"StepThrough\.save: a page is HTML"):
        steps.save(tmp_path / "x.txt")
    with pytest.raises(FileNotFoundError, match=r"StepThrough\.save: directory .* does not exist"):
        steps.save(tmp_path / "missing" / "x.html")
    assert steps.save(tmp_path / "x.htm").read_text(encoding="utf-8") == steps.html()
