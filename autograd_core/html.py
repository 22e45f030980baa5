"""The step-through page and the notebook views: self-contained HTML whose graphs are laid out in the browser.

:func:`step_page` writes the step page (``autograd-core trace "EXPR" x=1 --html out.html`` calls it),
:func:`step_page_html` returns it as text, :func:`step_through` wraps it for Jupyter (:class:`StepThrough`), and a
Value displays inline in Jupyter and Colab through :func:`value_html` (``Value._repr_html_``).

One picture, laid out once. The graph is written by :func:`autograd_core.render.draw` (its DOT source) and laid out
in the page by the vendored WebAssembly build of Graphviz (``autograd_core/vendor/viz-global.js``, npm
``@viz-js/viz``), so no ``dot`` program is needed. The page lays out ONE DOT text, whose changing labels (grads,
edge labels) are set to the widest text they take in any frame; each frame then only rewrites texts, fills and edge
colours of the laid-out SVG by element id, so nodes never move between frames. Frames: the forward pass, one per
step of :func:`autograd_core.backward_steps` (the visited node highlighted, nodes visited so far shaded, the grads
right after the step, the step's edges labelled ``local x upstream = contribution``), then the finished pass.
Leaves that held a gradient before the pass show it (``was X``): backward adds to it.

The picture sits in a viewport at its natural size (100%: Graphviz's points at 4/3 px) with zoom and pan: mouse
wheel, drag, the + and - keys, Fit and 100% buttons. Prev/Next, the left/right arrow keys (Home/End) and a slider
move between frames; the URL fragment names the frame (``#step=3`` is backward step 3, ``#step=forward``,
``#step=done``) and opens it.

Self-contained: no network access; the CSP of :func:`autograd_core.page.standalone_page` allows only the page's own
scripts (by hash, plus ``'wasm-unsafe-eval'`` for Graphviz). The DOT text and every frame's texts travel as JSON
data (never executed), Graphviz writes labels as SVG text, and the SVG is pruned to Graphviz's drawing elements
before it is shown, so labels cannot inject markup. Without JavaScript the frames' texts are shown in order.

Practice mode (``practice="local" | "grad" | "both"``) turns the page into an exercise: each step's frame shows the
graph with data only and an answer box per question of :func:`autograd_core.practice.worksheet` (the step's
gradient and/or its local derivatives; the leaves' gradients on the last frame). The page's own script judges an
answer exactly as :func:`autograd_core.practice.judge` does, with the same sentences: the right answers and every
classic mistake's number are computed in Python and embedded as a JSON data block (never executed), so nothing is
evaluated but a small arithmetic reader (numbers, ``+ - * / **``, parentheses, exp, log, sqrt, sin, cos, tanh,
sigmoid, abs). Nothing is revealed until answered or asked: Hint, Show, and "Show the whole step" (the step's
text, and the picture with its gradients and local derivatives). The last frame keeps the summary.
"""

from __future__ import annotations

import html as _html
import math
import os
import re
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Union

from .files import atomic_write
from .graph import topological_order
from .ops import to_float
from .page import html_path, notebook_frame, standalone_page
from .practice import MISTAKES, worksheet
from .render import draw, escape_record
from .trace import backward_steps, expression, node_names, numbering
from .value import HOOKS, Value

__all__ = ["StepThrough", "step_page", "step_page_html", "step_through", "value_html"]

_VENDOR_SCRIPT = "viz-global.js"

# draw's colours, as it writes them: the visited node, nodes visited before, the step's edges
_PLAIN_FILL = "#ffffff"
_PLAIN_EDGE = "#000000"
# Helvetica advance widths (per 1000 em) of the characters labels hold; others count as 600: only used to pick,
# for each changing label, the widest text it takes, which the one layout reserves room for
_WIDTHS = {**dict.fromkeys("0123456789", 556), ".": 278, "-": 333, "+": 584, " ": 278, "=": 584, "x": 500,
           "e": 556, "(": 333, ")": 333, "w": 722, "a": 556, "s": 500, "g": 556, "r": 333, "d": 556, "n": 556,
           "i": 222, "f": 278}

# DOT statements as draw writes them: "\tID [attrs]" and "\tID -> ID [attrs]"
_NODE_LINE = re.compile(r"^\t+([A-Za-z_][A-Za-z0-9_]*) \[(.*)\]$")
_EDGE_LINE = re.compile(r"^\t+([A-Za-z_][A-Za-z0-9_]*) -> ([A-Za-z_][A-Za-z0-9_]*)(?: \[(.*)\])?$")
_ATTR = re.compile(r'([A-Za-z_]+)=("(?:[^"\\]|\\.)*"|[^\s"\]]+)')
_KEYWORDS = frozenset({"graph", "node", "edge"})


@lru_cache(maxsize=1)
def _viz_script() -> str:
    """The vendored Graphviz (WebAssembly, npm ``@viz-js/viz``), read once per process."""
    try:
        return (resources.files("autograd_core") / "vendor" / _VENDOR_SCRIPT).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError) as e:
        raise FileNotFoundError(
            f"autograd_core/vendor/{_VENDOR_SCRIPT} (the WebAssembly Graphviz the pages lay out their graphs with) "
            f"is missing ({e}); reinstall autograd-core, or in a source checkout run `python scripts/vendor_viz.py`"
        ) from None


def _text_width(text: str) -> int:
    return sum(_WIDTHS.get(ch, 600) for ch in text)


def _unquote(raw: str) -> str:
    # a DOT attribute value as draw wrote it -> the string DOT reads (only \" is an escape inside quotes)
    return raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw


def _shown(label: str) -> str:
    # a label (or one record field) as Graphviz shows it: backslash escapes and entities resolved
    return _html.unescape(re.sub(r"\\(.)", r"\1", label)).strip()


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Picture:
    """One drawing by :func:`draw`, read back: per node its attributes and grad field, per edge its attributes.

    Only the statements draw writes are read (``ID [attrs]``, ``ID -> ID [attrs]``); everything else is kept as
    it is when the layout text is written.
    """

    __slots__ = ("lines", "nodes", "edges")

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()
        self.nodes: dict = {}  # dot id -> (line number, attrs)
        self.edges: list = []  # (line number, tail, head, attrs), in statement order
        for i, line in enumerate(self.lines):
            m = _EDGE_LINE.match(line)
            if m:
                self.edges.append((i, m.group(1), m.group(2), dict(_ATTR.findall(m.group(3) or ""))))
                continue
            m = _NODE_LINE.match(line)
            if m and m.group(1) not in _KEYWORDS:
                self.nodes[m.group(1)] = (i, dict(_ATTR.findall(m.group(2))))

    @staticmethod
    def fields(attrs: dict) -> list | None:
        """A record's fields as DOT text (``{ name | data 2 | grad 1 }`` -> 3 fields), None for other shapes."""
        label = _unquote(attrs.get("label", ""))
        if attrs.get("shape") != "record" or not (label.startswith("{ ") and label.endswith(" }")):
            return None
        # the name comes first and may hold escaped pipes; data and grad are plain
        return label[2:-2].rsplit(" | ", 2)

    def node_state(self, dot_id: str, was: str = "") -> list:
        """``[grad text or None, fill, bold]`` of a node in this drawing (``was``: the leaf's grad before the pass)."""
        attrs = self.nodes[dot_id][1]
        fields = self.fields(attrs)
        grad = None
        if fields is not None:
            grad = _shown(fields[-1]) if len(fields) == 3 and fields[-1].startswith("grad ") else ""
            if was:
                grad = f"{grad} (was {was})" if grad else f"grad was {was}"
        filled = "filled" in _unquote(attrs.get("style", ""))
        fill = _unquote(attrs.get("fillcolor", _PLAIN_FILL)) if filled else _PLAIN_FILL
        return [grad, fill, 1 if "penwidth" in attrs or "bold" in _unquote(attrs.get("style", "")) else 0]

    def edge_state(self, k: int) -> list:
        """``[label text, colour, bold]`` of the k-th edge statement."""
        attrs = self.edges[k][3]
        label = _shown(_unquote(attrs["label"])) if "label" in attrs else ""
        return [label, _unquote(attrs.get("color", _PLAIN_EDGE)), 1 if "penwidth" in attrs else 0]

    def shape(self) -> tuple:
        return tuple(self.nodes), tuple((t, h) for _, t, h, _ in self.edges)


def _node_id(dot_id: str) -> str:
    return f"n_{dot_id}"


def _edge_id(k: int) -> str:
    return f"e_{k}"


def _layout_dot(base: _Picture, dynamic: list, grads: dict, labels: dict) -> str:
    """The one DOT text the page lays out: ``base`` with each changing record field and edge label set to the
    widest text it takes in any frame (``grads``: dot id -> texts, ``labels``: edge index -> texts), the ``dynamic``
    nodes filled (white) so a frame can colour them, and element ids the page's script finds them by."""
    lines = list(base.lines)
    for dot_id, (i, attrs) in base.nodes.items():
        new = dict(attrs)
        fields = base.fields(attrs)
        if dot_id in grads and fields is not None and len(fields) == 3:
            # the raw text is kept up to the grad field (the name's escapes stay exactly as draw wrote them)
            widest = max(grads[dot_id], key=_text_width)
            new["label"] = attrs["label"].rsplit(" | ", 1)[0] + " | " + _dot_string(escape_record(widest))[1:-1] + ' }"'

        if dot_id in dynamic:
            new.pop("penwidth", None)
            new["style"] = _dot_string("filled")
            new["fillcolor"] = _dot_string(_PLAIN_FILL)
        new["id"] = _dot_string(_node_id(dot_id))
        lines[i] = f"\t{dot_id} [{' '.join(f'{k}={v}' for k, v in new.items())}]"
    for k, (i, tail, head, attrs) in enumerate(base.edges):
        new = {key: v for key, v in attrs.items() if key not in ("color", "fontcolor", "penwidth", "label")}
        texts = [t for t in labels.get(k, ()) if t]
        if texts:
            new["label"] = _dot_string(max(texts, key=_text_width))
        new["id"] = _dot_string(_edge_id(k))
        lines[i] = f"\t{tail} -> {head} [{' '.join(f'{key}={v}' for key, v in new.items())}]"
    return "\n".join(lines) + "\n"


def _states(pictures: list, was: dict) -> tuple[str, list, list, list]:
    """Lay the frames' drawings onto one layout.

    Returns ``(layout DOT, element ids, states, focus)``: a state per picture is one ``[text, colour, bold]`` per
    element (records with a grad field and collapsed boxes by their fill; every edge), ``focus`` the ids of each
    picture's highlighted node and edges (the part of the picture a frame is about).
    """
    base = pictures[-1]
    shape = base.shape()
    for p in pictures:
        if p.shape() != shape:  # draw writes the same statements for every frame of one graph
            raise RuntimeError("step_page: the frames' drawings do not have the same nodes and edges")
    dynamic = [d for d, (_, attrs) in base.nodes.items()
               if base.fields(attrs) is not None or attrs.get("shape") == "box3d"]
    elements = [_node_id(d) for d in dynamic] + [_edge_id(k) for k in range(len(base.edges))]
    states, focus = [], []
    grads: dict = {d: [] for d in dynamic if base.fields(base.nodes[d][1]) is not None}
    labels: dict = {}
    for p in pictures:
        state = []
        for d in dynamic:
            s = p.node_state(d, was.get(d, ""))
            if s[0] and d in grads:
                grads[d].append(s[0])
            state.append(s)
        for k in range(len(base.edges)):
            s = p.edge_state(k)
            labels.setdefault(k, []).append(s[0])
            state.append(s)
        states.append(state)
        focus.append([elements[i] for i, s in enumerate(state) if s[2]])
    grads = {d: texts for d, texts in grads.items() if texts}
    return _layout_dot(base, set(dynamic), grads, labels), elements, states, focus


def _diffs(states: list) -> list:
    """Each state as the changes from the one before (the first in full): ``[[element index, value], ...]``, so a
    page of many steps stays small (a step changes a handful of texts and colours)."""
    out, before = [], None
    for state in states:
        out.append([[i, v] for i, v in enumerate(state) if before is None or before[i] != v])
        before = state
    return out


_STYLE = """
html,body{height:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1b1b1b;
display:flex;flex-direction:column;min-height:0}
header{padding:.5rem 1rem .3rem;border-bottom:1px solid #ddd}
h1{font-size:1.1rem;margin:0 .8rem 0 0;display:inline}
.expr{display:inline;color:#444}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
nav{display:flex;gap:.5rem;align-items:center;margin:.4rem 0 .2rem;flex-wrap:wrap}
nav button{font-size:.95rem;padding:.25rem .8rem}
#slider{flex:1 1 12rem;min-width:8rem}
#position{font-variant-numeric:tabular-nums;font-weight:600;min-width:9rem}
.zoom{display:flex;gap:.3rem;align-items:center;margin-left:auto}
.zoom button{padding:.25rem .6rem}
#zoom-level{font-variant-numeric:tabular-nums;min-width:3.5rem;text-align:right;color:#555}
.viewport{flex:1 1 auto;min-height:12rem;position:relative;overflow:hidden;background:#fff;cursor:grab;
touch-action:none;outline:none}
.viewport.dragging{cursor:grabbing}
.viewport:focus-visible{box-shadow:inset 0 0 0 2px #1f6feb}
.viewport svg{position:absolute;left:0;top:0;display:block}
.viewport svg text{font-family:Helvetica,Arial,"Liberation Sans",sans-serif}
#status{position:absolute;left:1rem;top:1rem;color:#555;font-size:.95rem}
#status.error{color:#b42318;font-weight:600}
main{flex:0 1 auto;max-height:34vh;overflow:auto;border-top:1px solid #ddd;padding:.4rem 1rem .6rem;
background:#fafbfc}
.frame h2{font-size:1rem;margin:0 0 .3rem}
.frame h2.entry{font-size:.95rem;overflow:hidden;text-overflow:ellipsis}
.caption{font-size:.92rem;overflow-x:auto}
.caption p{margin:.2rem 0;max-width:75rem;line-height:1.35}
.entry{display:block;white-space:pre;font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;
line-height:1.45}
.legend{font-size:.85rem;color:#444;margin:.1rem 0 0}
.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid #777;vertical-align:-.1em;margin-right:.3em}
.legend-item{margin-right:1em}
.current{background:#ffd54f}.visited{background:#dbe9f6}.edge{background:#c62828}
.hint-keys,.legend-item{display:inline-block;white-space:nowrap}
.hint-keys{color:#666;font-size:.8rem;margin-left:.6em}
""".strip()

_VIEW_STYLE = """
html,body{height:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1b1b;
display:flex;flex-direction:column}
.bar{display:flex;gap:.3rem;align-items:center;padding:.3rem .5rem;border-bottom:1px solid #ddd;font-size:.9rem}
.bar .what{margin-right:auto;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.bar button{padding:.15rem .55rem}
#zoom-level{font-variant-numeric:tabular-nums;min-width:3.5rem;text-align:right;color:#555}
.viewport{flex:1 1 auto;min-height:8rem;position:relative;overflow:hidden;background:#fff;cursor:grab;
touch-action:none;outline:none}
.viewport.dragging{cursor:grabbing}
.viewport svg{position:absolute;left:0;top:0;display:block}
.viewport svg text{font-family:Helvetica,Arial,"Liberation Sans",sans-serif}
#status{position:absolute;left:1rem;top:1rem;color:#555}
#status.error{color:#b42318;font-weight:600}
""".strip()

# The viewer: lays a DOT text out with the vendored Graphviz (one instance per page), prunes the SVG to Graphviz's
# drawing vocabulary, and shows it in a viewport with zoom and pan. Defines window.AGView.
_VIEWER = r"""
(function () {
  "use strict";
  var PT = 4 / 3;  // CSS px per point: Graphviz draws in points, so scale 1 is the picture's natural size
  var ELEMENTS = {svg: 1, g: 1, polygon: 1, polyline: 1, ellipse: 1, path: 1, text: 1, tspan: 1};
  var ATTRIBUTES = {id: 1, "class": 1, transform: 1, viewBox: 1, width: 1, height: 1, fill: 1, stroke: 1,
    "stroke-width": 1, "stroke-dasharray": 1, "stroke-opacity": 1, "fill-opacity": 1, points: 1, d: 1, cx: 1,
    cy: 1, rx: 1, ry: 1, x: 1, y: 1, "text-anchor": 1, "font-family": 1, "font-size": 1, "font-weight": 1,
    "font-style": 1, "text-decoration": 1, "xml:space": 1};
  var instance = null;
  function viz() {
    if (!instance) { instance = Viz.instance(); }
    return instance;
  }
  // keep only Graphviz's drawing elements and attributes (no scripts, links, images, handlers, styles, titles)
  function prune(root) {
    var stack = [root];
    while (stack.length) {
      var el = stack.pop();
      Array.prototype.slice.call(el.attributes).forEach(function (a) {
        var v = a.value.toLowerCase();
        if (!ATTRIBUTES[a.name] || v.indexOf("url(") >= 0 || v.indexOf("javascript:") >= 0) {
          el.removeAttribute(a.name);
        }
      });
      Array.prototype.slice.call(el.childNodes).forEach(function (c) {
        if (c.nodeType === 1) {
          if (ELEMENTS[c.localName] && c.namespaceURI === "http://www.w3.org/2000/svg") { stack.push(c); }
          else { el.removeChild(c); }
        } else if (c.nodeType !== 3) {
          el.removeChild(c);
        }
      });
    }
    return root;
  }
  function View(box, svg, zoomLabel) {
    var vb = svg.viewBox.baseVal;
    this.box = box; this.svg = svg; this.label = zoomLabel;
    this.x0 = vb.x; this.y0 = vb.y; this.w = vb.width; this.h = vb.height;
    this.s = 1; this.ox = this.x0; this.oy = this.y0;
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    var self = this, drag = null;
    box.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = box.getBoundingClientRect(), dy = e.deltaY * (e.deltaMode === 1 ? 16 : 1);
      self.zoomAt(Math.exp(-dy * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, {passive: false});
    box.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) { return; }
      drag = {x: e.clientX, y: e.clientY};
      box.setPointerCapture(e.pointerId);
      box.classList.add("dragging");
    });
    box.addEventListener("pointermove", function (e) {
      if (!drag) { return; }
      self.panBy(e.clientX - drag.x, e.clientY - drag.y);
      drag = {x: e.clientX, y: e.clientY};
    });
    function stop() { drag = null; box.classList.remove("dragging"); }
    box.addEventListener("pointerup", stop);
    box.addEventListener("pointercancel", stop);
    window.addEventListener("resize", function () { self.apply(); });
  }
  View.prototype.size = function () {
    return {w: Math.max(1, this.box.clientWidth), h: Math.max(1, this.box.clientHeight)};
  };
  View.prototype.apply = function () {
    var z = this.size(), u = this.s * PT;
    this.svg.setAttribute("width", String(z.w));
    this.svg.setAttribute("height", String(z.h));
    this.svg.setAttribute("viewBox", [this.ox, this.oy, z.w / u, z.h / u].join(" "));
    this.box.setAttribute("data-scale", String(this.s));
    if (this.label) { this.label.textContent = Math.round(this.s * 100) + "%"; }
  };
  // scale s with the graph point (gx, gy) at viewport pixel (px, py)
  View.prototype.set = function (s, gx, gy, px, py) {
    this.s = Math.max(0.05, Math.min(8, s));
    var u = this.s * PT;
    this.ox = gx - px / u; this.oy = gy - py / u;
    this.apply();
  };
  View.prototype.zoomAt = function (factor, px, py) {
    var u = this.s * PT;
    this.set(this.s * factor, this.ox + px / u, this.oy + py / u, px, py);
  };
  View.prototype.zoomBy = function (factor) {
    var z = this.size();
    this.zoomAt(factor, z.w / 2, z.h / 2);
  };
  View.prototype.panBy = function (dx, dy) {
    var u = this.s * PT;
    this.ox -= dx / u; this.oy -= dy / u;
    this.apply();
  };
  View.prototype.fit = function () {
    var z = this.size(), s = Math.min(z.w / this.w, z.h / this.h) / PT * 0.97;
    this.set(s, this.x0 + this.w / 2, this.y0 + this.h / 2, z.w / 2, z.h / 2);
  };
  // natural size: the whole picture centred when it fits, else its start (or the given element) in view
  View.prototype.actual = function (focus) {
    var z = this.size(), gw = this.w * PT, gh = this.h * PT;
    var cx = this.x0 + this.w / 2, cy = this.y0 + this.h / 2;
    this.set(1, cx, cy, z.w / 2, z.h / 2);
    if (gw > z.w || gh > z.h) {
      if (gw > z.w) { this.ox = this.x0; }
      if (gh > z.h) { this.oy = this.y0; }
      this.apply();
      this.reveal(focus, true);
    }
  };
  // pan so that these elements are in view (only when they are not already)
  View.prototype.reveal = function (els, centre) {
    if (!els || !els.length) { return; }
    var r = {left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity};
    els.forEach(function (el) {
      var q = el.getBoundingClientRect();
      r.left = Math.min(r.left, q.left); r.top = Math.min(r.top, q.top);
      r.right = Math.max(r.right, q.right); r.bottom = Math.max(r.bottom, q.bottom);
    });
    r.width = r.right - r.left; r.height = r.bottom - r.top;
    var b = this.box.getBoundingClientRect(), m = 24;
    // too big to show whole (a node with many inputs): the node itself, which comes first
    if (els.length > 1 && (r.width > b.width - 2 * m || r.height > b.height - 2 * m)) {
      return this.reveal([els[0]], centre);
    }
    if (!centre && r.left >= b.left + m && r.right <= b.right - m && r.top >= b.top + m &&
        r.bottom <= b.bottom - m) { return; }
    this.panBy(b.left + b.width / 2 - (r.left + r.width / 2), b.top + b.height / 2 - (r.top + r.height / 2));
  };
  function render(box, dot, status) {
    if (status) { status.hidden = false; }
    return viz().then(function (v) {
      var svg = prune(v.renderSVGElement(dot));
      box.appendChild(svg);
      if (status) { status.hidden = true; }
      return svg;
    }).catch(function (err) {
      if (status) {
        status.hidden = false;
        status.className = "error";
        status.textContent = "The graph could not be laid out: " + (err && err.message ? err.message : err);
      }
      throw err;
    });
  }
  function controls(view) {
    var on = function (id, f) { var b = document.getElementById(id); if (b) { b.addEventListener("click", f); } };
    on("zoom-in", function () { view.zoomBy(1.25); });
    on("zoom-out", function () { view.zoomBy(0.8); });
    on("zoom-fit", function () { view.fit(); });
    on("zoom-actual", function () { view.actual(); });
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) { return; }
      if (e.target && (e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA")) { return; }
      if (e.key === "+" || e.key === "=") { e.preventDefault(); view.zoomBy(1.25); }
      else if (e.key === "-" || e.key === "_") { e.preventDefault(); view.zoomBy(0.8); }
    });
  }
  window.AGView = {
    show: function (box, dot) {
      var status = document.getElementById("status");
      return render(box, dot, status).then(function (svg) {
        var view = new View(box, svg, document.getElementById("zoom-level"));
        controls(view);
        return view;
      });
    }
  };
})();
""".strip()

# The step page: one layout, and per frame the texts and colours of its elements (from the graph-data block)
_STEPPER = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var frames = document.querySelectorAll("section.frame");
  var slider = document.getElementById("slider");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var position = document.getElementById("position");
  var box = document.getElementById("viewport");
  var current = -1, view = null, refs = [], shown = [];
  function build(diffs) {
    var out = [], state = [];
    diffs.forEach(function (diff) {
      state = state.slice();
      diff.forEach(function (d) { state[d[0]] = d[1]; });
      out.push(state);
    });
    return out;
  }
  var full = build(data.full), bare = data.bare ? build(data.bare) : null;
  function frameOf(hash) {
    var m = /^#step=(forward|done|[0-9]+)$/.exec(hash || "");
    if (!m) { return null; }
    if (m[1] === "forward") { return 0; }
    if (m[1] === "done") { return frames.length - 1; }
    var k = parseInt(m[1], 10) + 1;
    return k >= 1 && k <= frames.length - 2 ? k : null;
  }
  function fragment(k) {
    return "#step=" + (k === 0 ? "forward" : (k === frames.length - 1 ? "done" : String(k - 1)));
  }
  function solutionShown(k) {
    var sol = frames[k].querySelector(".solution");
    return !!sol && !sol.hidden;
  }
  function paint() {
    if (!view) { return; }
    var state = bare && !solutionShown(current) ? bare[current] : full[current];
    for (var i = 0; i < refs.length; i++) {
      var v = state[i], r = refs[i];
      if (shown[i] === v || !r) { continue; }
      shown[i] = v;
      if (r.text) { r.text.textContent = v[0] === null ? "" : v[0]; }
      if (r.node) {
        if (r.shape) {
          r.shape.setAttribute("fill", v[1]);
          r.shape.setAttribute("stroke-width", v[2] ? "2.5" : "1");
        }
      } else {
        r.lines.forEach(function (el) {
          el.setAttribute("stroke", v[1]);
          el.setAttribute("stroke-width", v[2] ? "2" : "1");
        });
        r.heads.forEach(function (el) { el.setAttribute("fill", v[1]); el.setAttribute("stroke", v[1]); });
        if (r.text) { r.text.setAttribute("fill", v[1]); }
      }
    }
    view.reveal(focusOf(current), false);
  }
  function focusOf(k) {
    return data.focus[k].map(function (id) { return document.getElementById(id); }).filter(Boolean);
  }
  function show(k, keepHash) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = i !== k; }
    current = k;
    slider.value = String(k);
    position.textContent = frames[k].getAttribute("data-position");
    prev.disabled = k === 0;
    next.disabled = k === frames.length - 1;
    document.body.setAttribute("data-current", String(k));
    if (!keepHash) {
      try { history.replaceState(null, "", fragment(k)); } catch (err) { /* a sandboxed frame has no history */ }
    }
    paint();
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  window.addEventListener("hashchange", function () {
    var k = frameOf(location.hash);
    if (k !== null && k !== current) { show(k, true); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.target && (e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA")) { return; }
    var k = {ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: frames.length - 1}[e.key];
    if (k !== undefined) { e.preventDefault(); show(k); }
  });
  // "Show the whole step" (practice mode) switches the picture to the step's gradients; runs after its own handler
  document.addEventListener("click", function (e) {
    if (e.target && e.target.classList && e.target.classList.contains("reveal")) { paint(); }
  });
  document.getElementById("controls").hidden = false;
  var start = frameOf(location.hash);
  show(start === null ? 0 : start, start !== null);
  AGView.show(box, data.dot).then(function (v) {
    view = v;
    refs = data.elements.map(function (id) {
      var g = document.getElementById(id);
      if (!g) { return null; }
      var texts = g.querySelectorAll("text");
      if (id.charAt(0) === "n") {
        return {node: true, shape: g.querySelector("polygon, ellipse"), text: texts.length > 1 ?
                texts[texts.length - 1] : null};
      }
      return {node: false, lines: Array.prototype.slice.call(g.querySelectorAll("path")),
              heads: Array.prototype.slice.call(g.querySelectorAll("polygon")), text: texts[0] || null};
    });
    shown = refs.map(function () { return null; });
    view.actual(focusOf(current));
    paint();
    document.body.setAttribute("data-ready", "1");
  }).catch(function () { document.body.setAttribute("data-ready", "error"); });
})();
""".strip()

# A Value's view (Jupyter): its graph, fitted when larger than the frame, never enlarged
_VALUE_VIEW = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  AGView.show(document.getElementById("viewport"), data.dot).then(function (view) {
    view.actual();
    var z = view.size();
    if (view.w * 4 / 3 > z.w || view.h * 4 / 3 > z.h) { view.fit(); }
    document.body.setAttribute("data-ready", "1");
  }).catch(function () { document.body.setAttribute("data-ready", "error"); });
})();
""".strip()

_PRACTICE_STYLE = """
.given{margin:.2rem 0 .6rem;font-size:.95rem}
.intro{max-width:60rem}
.questions{display:flex;flex-direction:column;gap:.7rem;margin:.4rem 0 1rem}
.question{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem;background:#fbfcfd;max-width:60rem}
.question label{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;margin-right:.4rem}
.question input{font-size:1rem;width:11rem;padding:.2rem .4rem}
.question button{font-size:.9rem;margin-left:.3rem;padding:.2rem .7rem}
.feedback p{margin:.35rem 0 0;line-height:1.35}
.feedback .right{color:#1a7f37;font-weight:600}
.feedback .mistake{color:#9a3412}
.feedback .wrong{color:#b42318}
.feedback .hint,.feedback .answer{color:#1f4e8c}
.feedback .invalid{color:#6e7781}
.question.done input{background:#eef6ee}
.reveal{font-size:.9rem;padding:.2rem .7rem}
.solution{border-left:3px solid #ffd54f;padding-left:.8rem;margin-top:.6rem}
#summary{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:4px;padding:.6rem .8rem;white-space:pre-wrap}
""".strip()

_PRACTICE_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("practice-data").textContent);
  var rtol = data.rtol, atol = data.atol, tries = data.tries, texts = data.texts;
  var order = data.order, titles = data.titles;
  var questions = {}, all = [];
  data.stages.forEach(function (stage) {
    stage.questions.forEach(function (q) {
      q.state = {attempts: 0, hints: 0, outcome: null, named: [], unexplained: 0};
      questions[q.id] = q;
      all.push(q);
    });
  });
  var PLAIN = /^[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
  function close(a, b, r) { return Math.abs(a - b) <= atol + r * Math.abs(b); }
  function fmtG(x, p) {
    if (x === 0) { return "0"; }
    if (!isFinite(x)) { return x > 0 ? "inf" : (x < 0 ? "-inf" : "nan"); }
    var e = x.toExponential(p - 1), exp = parseInt(e.split("e")[1], 10);
    var strip = function (t) { return t.indexOf(".") < 0 ? t : t.replace(/0+$/, "").replace(/\\.$/, ""); };
    if (exp < -4 || exp >= p) {
      var m = strip(e.split("e")[0]);
      return m + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
    return strip(x.toFixed(Math.max(0, p - 1 - exp)));
  }
  function shown(text, value) {
    text = text.trim();
    return PLAIN.test(text) ? text : text + " = " + fmtG(value, 6);
  }
  var FUNCS = {exp: Math.exp, log: Math.log, sqrt: Math.sqrt, sin: Math.sin, cos: Math.cos, tanh: Math.tanh,
               abs: Math.abs, sigmoid: function (x) { return 1 / (1 + Math.exp(-x)); }};
  function evaluate(text) {
    var s = text.trim(), i = 0, depth = 0;
    if (!s) { throw new Error("type a number, such as -1.4 or 1/3 (or press Hint or Show)"); }
    if (s.length > 200) { throw new Error("an answer is at most 200 characters"); }
    function ws() { while (i < s.length && s[i] === " ") { i++; } }
    function fail(why) {
      throw new Error("cannot read " + JSON.stringify(s.slice(0, 40)) + ": column " + (i + 1) + ": " + why);
    }
    function expr() {
      if (++depth > 32) { fail("nested too deeply"); }
      var v = term(); ws();
      while (s[i] === "+" || s[i] === "-") { var op = s[i++]; var r = term(); v = op === "+" ? v + r : v - r; ws(); }
      depth--; return v;
    }
    function term() {
      var v = unary(); ws();
      while ((s[i] === "*" && s[i + 1] !== "*") || s[i] === "/") {
        var op = s[i++]; var r = unary(); v = op === "*" ? v * r : v / r; ws();
      }
      return v;
    }
    function unary() {
      ws();
      if (s[i] === "-") { i++; return -unary(); }
      if (s[i] === "+") { i++; return unary(); }
      return power();
    }
    function power() {
      var base = atom(); ws();
      if (s[i] === "*" && s[i + 1] === "*") { i += 2; return Math.pow(base, unary()); }
      if (s[i] === "^") { fail("use ** for powers"); }
      return base;
    }
    function atom() {
      ws();
      var m = /^(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(s.slice(i));
      if (m) { i += m[0].length; return parseFloat(m[0]); }
      if (s[i] === "(") { i++; var v = expr(); ws(); if (s[i] !== ")") { fail("')' expected"); } i++; return v; }
      var n = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
      if (n) {
        if (!Object.prototype.hasOwnProperty.call(FUNCS, n[0])) { fail("unknown name '" + n[0] + "'"); }
        i += n[0].length; ws();
        if (s[i] !== "(") { fail("'(' expected after " + n[0]); }
        i++; var a = expr(); ws(); if (s[i] !== ")") { fail("')' expected"); } i++;
        return FUNCS[n[0]](a);
      }
      fail(i < s.length ? "unexpected '" + s[i] + "'" : "the answer ends too early");
    }
    var value = expr(); ws();
    if (i < s.length) { fail("unexpected '" + s[i] + "'"); }
    if (!isFinite(value)) { throw new Error(JSON.stringify(s.slice(0, 40)) + " is not a finite number"); }
    return value;
  }
  function judge(q, text, value) {
    if (close(value, q.answer, rtol)) { return {verdict: "right", mistakes: [], lines: [q.right]}; }
    var answer = shown(text, value), seen = {}, hits = [];
    q.candidates.forEach(function (c) {
      if (!seen[c.kind] && close(value, c.value, rtol)) { seen[c.kind] = true; hits.push(c); }
    });
    hits.sort(function (a, b) { return order.indexOf(a.kind) - order.indexOf(b.kind); });
    var fill = function (t) { return t.split("{answer}").join(answer); };
    if (hits.length === 1) {
      return {verdict: "mistake", mistakes: [hits[0].kind], lines: [titles[hits[0].kind] + ": " + fill(hits[0].text)]};
    }
    if (hits.length > 1) {
      var lines = [texts.several.split("{answer}").join(answer).split("{n}").join(String(hits.length))];
      hits.forEach(function (c, k) { lines.push("(" + (k + 1) + ") " + titles[c.kind] + ": " + fill(c.text)); });
      return {verdict: "mistake", mistakes: hits.map(function (c) { return c.kind; }), lines: lines};
    }
    var out = [texts.none.split("{answer}").join(answer)];
    if (close(value, q.answer, 0.02)) { out.push(texts.close); }
    out.push(texts.step.split("{step}").join(q.step));
    return {verdict: "wrong", mistakes: [], lines: out};
  }
  function say(box, cls, lines) {
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.className = cls;
      p.textContent = line;
      box.appendChild(p);
    });
  }
  function finish(q, el, outcome) {
    q.state.outcome = outcome;
    el.classList.add("done");
    el.setAttribute("data-outcome", outcome);
    el.querySelector("input").readOnly = true;
    el.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    summary();
  }
  function showAnswer(q, el, box) {
    say(box, "answer", [texts.answer.split("{show}").join(q.show)]);
    finish(q, el, "shown");
  }
  function check(q, el) {
    if (q.state.outcome) { return; }
    var input = el.querySelector("input"), box = el.querySelector(".feedback");
    var value;
    box.textContent = "";
    try { value = evaluate(input.value); } catch (err) { say(box, "invalid", [err.message]); return; }
    var fb = judge(q, input.value, value);
    el.setAttribute("data-verdict", fb.verdict);
    say(box, fb.verdict, fb.lines);
    if (fb.verdict === "right") { finish(q, el, q.state.attempts === 0 ? "first" : "retry"); return; }
    fb.mistakes.forEach(function (k) { if (q.state.named.indexOf(k) < 0) { q.state.named.push(k); } });
    if (fb.verdict === "wrong") { q.state.unexplained++; }
    q.state.attempts++;
    if (q.state.attempts >= tries) { showAnswer(q, el, box); } else { summary(); input.select(); }
  }
  function summary() {
    var pre = document.getElementById("summary");
    if (!pre) { return; }
    var n = {first: 0, retry: 0, shown: 0}, named = {}, where = {}, unexplained = 0;
    all.forEach(function (q) {
      if (q.state.outcome) { n[q.state.outcome]++; }
      unexplained += q.state.unexplained;
      q.state.named.forEach(function (k) {
        named[k] = (named[k] || 0) + 1;
        (where[k] = where[k] || []).push(q.prompt);
      });
    });
    var total = all.length, answered = n.first + n.retry + n.shown;
    var lines = ["summary: " + total + " question" + (total === 1 ? "" : "s") + ": " + n.first +
                 " right at the first try, " + n.retry + " right at a retry, " + n.shown + " shown, " +
                 (total - answered) + " not answered"];
    var kinds = Object.keys(named).sort(function (a, b) {
      return (named[b] - named[a]) || (order.indexOf(a) - order.indexOf(b));
    });
    if (kinds.length) {
      lines.push("mistakes named:");
      kinds.forEach(function (k) {
        lines.push("  " + titles[k] + ": " + named[k] + " (" + where[k].join(", ") + ")");
      });
    } else {
      lines.push("mistakes named: none");
    }
    lines.push("wrong answers no classic mistake explains: " + unexplained);
    pre.textContent = lines.join("\\n");
  }
  document.querySelectorAll(".question").forEach(function (el) {
    var q = questions[el.getAttribute("data-q")];
    var input = el.querySelector("input"), box = el.querySelector(".feedback");
    el.querySelector(".check").addEventListener("click", function () { check(q, el); });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); check(q, el); } });
    el.querySelector(".hint").addEventListener("click", function () {
      if (q.state.outcome) { return; }
      if (q.state.hints < q.hints.length) { say(box, "hint", ["hint: " + q.hints[q.state.hints++]]); }
      else { say(box, "hint", ["no more hints: press Show for the answer"]); }
    });
    el.querySelector(".show").addEventListener("click", function () {
      if (!q.state.outcome) { showAnswer(q, el, box); }
    });
  });
  document.querySelectorAll("button.reveal").forEach(function (b) {
    b.addEventListener("click", function () {
      var sol = b.parentNode.querySelector(".solution");
      sol.hidden = !sol.hidden;
      b.textContent = sol.hidden ? "Show the whole step" : "Hide the step";
    });
  });
  document.querySelectorAll(".practice").forEach(function (el) { el.hidden = false; });
  summary();
})();
""".strip()


def _question_html(q) -> str:
    qid = escape(q.id)
    return (f'<div class="question" data-q="{qid}" data-kind="{escape(q.kind)}">'
            f'<label for="answer-{qid}">{escape(q.label)} =</label>'
            f'<input id="answer-{qid}" type="text" autocomplete="off" spellcheck="false" inputmode="text" '
            f'aria-describedby="feedback-{qid}">'
            '<button type="button" class="check">Check</button><button type="button" class="hint">Hint</button>'
            '<button type="button" class="show">Show</button>'
            f'<div class="feedback" id="feedback-{qid}" aria-live="polite"></div></div>')




def _caption(entries: list, prose: str = "") -> str:
    """A frame's text: prose wraps as usual; each entry (a step's line) is kept on one line, never broken."""
    parts = [f"<p>{escape(line)}</p>" for line in prose.split("\n") if line] if prose else []
    parts += [f'<span class="entry">{escape(e)}</span>' for e in entries]
    return f'<div class="caption">{"".join(parts)}</div>'


def _entries(text: str) -> list:
    """A step's text (:meth:`Step.format`) as entries: the step, then one per input it updates."""
    lines = [line.strip() for line in text.split("\n")]
    head, sep, first = lines[0].partition("   -> ")
    return [head.strip()] + ([f"-> {first.strip()}"] if sep else []) + lines[1:]


def _frame(index: int, kind: str, position: str, title: str, body: str, step: str = "", node: str = "") -> str:
    """One frame's text (the picture is shared): a step's title is its first entry (the node, its expression and
    upstream gradient), kept on one line."""
    attrs = (f'class="frame" id="frame-{index}" data-index="{index}" data-kind="{kind}" '
             f'data-position="{escape(position)}"')
    if node:
        attrs += f' data-node="{escape(node)}" data-step="{escape(step)}"'
    h2 = f'<h2 class="entry">{escape(title)}</h2>' if node else f"<h2>{escape(title)}</h2>"
    return f"<section {attrs}>\n{h2}\n{body}\n</section>"


def _practice_body(given: str, questions: tuple, caption: str, extra: str = "") -> str:
    """A practice frame's body: the values, the questions, the hidden solution (the step's text; the picture then
    shows the step's gradients and local derivatives)."""
    asked = "".join(_question_html(q) for q in questions)
    parts = []
    if given:
        parts.append(f'<p class="given">{escape(given)}</p>')
    if questions:
        parts.append(f'<div class="questions practice" hidden>{asked}</div>')
    elif not extra:
        parts.append('<p class="given">Nothing is asked at this step: look, then go on.</p>')
    parts.append(extra)
    parts.append('<div class="practice" hidden><button type="button" class="reveal">Show the whole step</button>'
                 f'<div class="solution" hidden>{caption}</div></div>')
    return "\n".join(p for p in parts if p)


_ASKS = ("local", "grad", "both")
_LEGEND = ('<p class="legend"><span class="legend-item"><span class="swatch current"></span>node being visited</span>'
           '<span class="legend-item"><span class="swatch visited"></span>nodes already visited</span>'
           '<span class="legend-item"><span class="swatch edge"></span>this step\'s edges: local derivative x '
           "upstream gradient = contribution to the input's grad</span>"
           '<span class="hint-keys">keys: \u2190 \u2192 step, + \u2212 zoom; drag to pan</span></p>')
_PRACTICE_LEGEND = ('<p class="legend"><span class="swatch current"></span>node being visited. The picture shows '
                    "data only; \u201cShow the whole step\u201d shows the gradients and the local derivatives."
                    '<span class="hint-keys">keys: \u2190 \u2192 step, + \u2212 zoom; drag to pan</span></p>')
_ZOOM = ('<span class="zoom"><button id="zoom-out" type="button" title="zoom out (-)">\u2212</button>'
         '<button id="zoom-in" type="button" title="zoom in (+)">+</button>'
         '<button id="zoom-actual" type="button" title="natural size">100%</button>'
         '<button id="zoom-fit" type="button" title="the whole graph in the window">fit</button>'
         '<span id="zoom-level" aria-live="polite">100%</span></span>')
_VIEWPORT = ('<div id="viewport" class="viewport" tabindex="0" aria-label="the computation graph: drag to pan, '
             'wheel to zoom"><div id="status" hidden>Laying out the graph\u2026</div><noscript><p>The picture needs '
             "JavaScript; the steps are listed below as text.</p></noscript></div>")


def _check_options(where: str, precision: int, max_steps: int, tries: int, title, practice) -> None:
    for name, limit in (("precision", precision), ("max_steps", max_steps), ("tries", tries)):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"{where}: {name} must be a positive int, got {limit!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{where}: title must be a str, got {type(title).__name__}")
    if practice is not None and practice not in _ASKS:
        raise ValueError(f"{where}: practice must be None or one of {', '.join(_ASKS)}, got {practice!r}")


def step_page_html(root: Value, *, title: str | None = None, grad: Union[int, float] = 1.0,
                   rankdir: str = "LR", precision: int = 4, max_steps: int = 300, practice: str | None = None,
                   tries: int = 2) -> str:
    """The step-through page of ``root``'s backward pass as HTML text (see :func:`step_page`; ``practice`` and
    ``tries`` make it a practice page, see the module docs)."""
    if not isinstance(root, Value):
        raise TypeError(f"step_page: root must be a Value, got {type(root).__name__}")
    seed = to_float(grad, "step_page(grad=...)")
    if not math.isfinite(seed):
        raise ValueError(f"step_page: grad must be a finite seed d L / d root, got {seed!r}; a page of nan or inf "
                         "gradients shows nothing")
    _check_options("step_page", precision, max_steps, tries, title, practice)
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"step_page: rankdir must be one of LR, RL, TB, BT, got {rankdir!r}")
    order = topological_order(root)
    n_steps = sum(1 for v in order if not v.is_leaf)
    if n_steps > max_steps:
        raise ValueError(f"step_page: the backward pass has {n_steps} steps, more than max_steps={max_steps}; one "
                         "frame per step would make a huge page: step through a smaller expression or raise "
                         "max_steps")
    viz = _viz_script()  # before the pass: a missing file changes nothing
    numbers, names = numbering(order)
    rname = names[root]
    fmt = lambda x: f"{x:.{precision}g}"
    heading = title if title is not None else (expression(root, names) if root.op_entry is not None else rname)
    # the worksheet is computed before the pass runs: it reads the leaves' grads as they were (accumulation)
    sheet = worksheet(root, practice, grad=seed, title=heading) if practice is not None else None
    stages = {st.index: st for st in sheet.stages} if sheet is not None else {}
    leaves = [v for v in reversed(order) if v.is_leaf]
    # leaves accumulate: a grad held before the pass is shown as "was X" beside the grad the pass adds to it
    held = {v: v.grad for v in leaves if v.grad != 0.0 and v is not root}
    was = {f"v{numbers[v]}": f"{v.grad:.4g}" for v in held}
    this_pass = {v: 0.0 for v in leaves}  # each leaf's share of this pass, added up as backward adds it

    full, bare, frames = [], [], []
    edges_text = ("The number on each edge is a local derivative, d node / d input: how fast the node it leads "
                  "into changes with that input, at these values; backward multiplies it by the node's gradient.")
    held_text = ("" if not held else
                 f"\n{', '.join(names[v] for v in held)} already held a gradient from an earlier backward (shown as "
                 "\u201cwas\u201d): leaves accumulate, so this pass adds its contributions to it.")
    intro = (f"Forward pass: {rname} = {fmt(root.data)}; every node shows its data. " + edges_text +
             f"\nBackward starts at {rname} with d {rname} / d {rname} = {fmt(seed)} and visits the {n_steps} "
             f"interior nodes in reverse topological order. Press Next (or the right arrow key).{held_text}")
    full.append(draw(root, rankdir=rankdir, show_grads=False, show_local=sheet is None))
    if sheet is None:
        frames.append(_frame(0, "forward", "forward pass", "forward pass", _caption([], intro)))
    else:
        bare.append(draw(root, rankdir=rankdir, show_grads=False, show_local=False))
        total = len(sheet.questions())
        what = {"local": "the local derivatives d node / d input", "grad": f"the gradients d {rname} / d node",
                "both": f"the gradients d {rname} / d node and the local derivatives d node / d input"}[practice]
        text = (f"Practice: at each step, give {what} ({total} questions, {tries} tries each). Type a number or a "
                "small expression (1/3, 2*(-0.7)*3) and press Enter or Check. A wrong answer is compared with the "
                "classic mistakes, which are named; Hint gives a hint, Show the answer, and \u201cShow the whole "
                "step\u201d the finished step. Nothing is revealed until you answer or ask.")
        forward = (f"Forward pass: {rname} = {fmt(root.data)}; every node shows its data.\nBackward starts at "
                   f"{rname} with d {rname} / d {rname} = {fmt(seed)} and visits the {n_steps} interior nodes in "
                   f"reverse topological order. Press Next (or the right arrow key).{held_text}")
        body = (f'<p class="intro">{escape(text)}</p>\n{_caption([], forward)}\n<noscript><p>The practice '
                "questions need JavaScript.</p></noscript>")
        frames.append(_frame(0, "forward", "forward pass", "forward pass", body))
    for step in backward_steps(root, seed):
        k = step.index + 1
        for u in step.updates:
            if u.parent in this_pass:
                this_pass[u.parent] += u.contribution
        full.append(draw(root, rankdir=rankdir, highlight=step))
        entries = _entries(step.format(precision))
        position = f"step {step.index} of {step.total}"
        if sheet is None:
            title_k, caption = entries[0], _caption(entries[1:])
            frames.append(_frame(k, "step", position, title_k, caption, step=str(step.index), node=step.name))
            continue
        # a practice title names the node only: its upstream gradient is one of the answers
        title_k, caption = f"[{step.index}] {step.name} = {step.expression}", _caption(entries)
        stage = stages.get(step.index)
        bare.append(draw(root, rankdir=rankdir, highlight=step.node, show_grads=False, show_local=False))
        body = _practice_body(stage.given if stage is not None else "", stage.questions if stage else (), caption)
        frames.append(_frame(k, "step", position, title_k, body, step=str(step.index), node=step.name))
    full.append(draw(root, rankdir=rankdir))
    lines = []
    for v in leaves:
        line = f"d {rname} / d {names[v]} = {fmt(this_pass[v] if v is not root else v.grad)}"
        if v in held:
            line += f"   ({names[v]}.grad = {fmt(v.grad)}: it was {fmt(held[v])} before this pass)"
        lines.append(line)
    done_text = "Backward done: every gradient is complete. The leaves:"
    n = len(frames)
    if sheet is None:
        frames.append(_frame(n, "done", "backward done", "backward done", _caption(lines, done_text)))
    else:
        stage = stages.get(None)
        bare.append(draw(root, rankdir=rankdir, show_grads=False, show_local=False))
        extra = '<pre id="summary" class="practice" aria-live="polite" hidden></pre>'
        body = _practice_body(stage.given if stage else "", stage.questions if stage else (),
                              _caption(lines, done_text), extra)
        frames.append(_frame(n, "done", "backward done", "backward done" if stage is None else
                             "backward done: the leaves", body))

    pictures = [_Picture(d.source) for d in full + bare]
    # the last full picture (every grad, every local derivative) is the layout's base
    dot, elements, states, focus = _states(pictures[len(full):] + pictures[:len(full)], was)
    states = states[len(bare):] + states[:len(bare)]
    focus = focus[len(bare):]
    payload = {"dot": dot, "elements": elements, "full": _diffs(states[:len(full)]),
               "bare": _diffs(states[len(full):]) if sheet is not None else None, "focus": focus}
    data = {"graph-data": payload}
    scripts = [viz, _VIEWER, _STEPPER]
    if sheet is not None:
        data["practice-data"] = {**sheet.to_dict(), "tries": tries, "order": list(MISTAKES)}
        scripts.append(_PRACTICE_SCRIPT)
    last = len(frames) - 1
    h1 = "Practise backward, step by step" if sheet is not None else "Backward pass, step by step"
    body = "\n".join([
        "<header>",
        f"<h1>{h1}</h1><p class=\"expr\">{escape(rname)} = <code>{escape(heading)}</code>"
        f" = {escape(fmt(root.data))}</p>",
        '<div id="controls" hidden>',
        '<nav aria-label="steps">',
        '<button id="prev" type="button" title="previous step (left arrow)">&larr; Prev</button>',
        f'<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="step">',
        '<button id="next" type="button" title="next step (right arrow)">Next &rarr;</button>',
        '<span id="position" aria-live="polite"></span>',
        _ZOOM,
        "</nav>",
        _LEGEND if sheet is None else _PRACTICE_LEGEND,
        "</div>",
        "</header>",
        _VIEWPORT,
        "<main>",
        *frames,
        "</main>",
    ])
    style = _STYLE + ("\n" + _PRACTICE_STYLE if sheet is not None else "")
    return standalone_page(title=f"backward pass of {heading}", body=body, style=style, scripts=scripts, data=data,
                           wasm=True)


def step_page(root: Value, path: Union[str, os.PathLike], *, title: str | None = None,
              grad: Union[int, float] = 1.0, rankdir: str = "LR", precision: int = 4, max_steps: int = 300,
              practice: str | None = None, tries: int = 2) -> int:
    """Write the step-through page of ``root``'s backward pass to ``path``; return the number of backward steps.

    Runs the real backward pass with :func:`autograd_core.backward_steps` (so afterwards every ``.grad`` is what
    ``root.backward(grad)`` leaves; leaves accumulate as usual, and a leaf's earlier grad is shown as ``was X``).
    Frames: the forward pass (edges carry the local derivatives d node / d input), one per step (the visited node
    highlighted, gradients so far, ``local x upstream = contribution`` on its edges), and the finished pass.
    The page opens the frame its URL names: ``#step=N`` (backward step N), ``#step=forward``, ``#step=done``.

    Args:
        root: the Value to differentiate.
        path: the ``.html`` file to write, atomically (a temporary file in the same directory, then renamed).
        title: the expression text shown in the heading (default: the root's expression).
        grad: the seed d L / d root.
        rankdir: layout direction of the picture (``"LR"``, ``"TB"``, ...).
        precision: significant digits in the step texts.
        max_steps: a larger backward pass raises ValueError instead of writing a huge page.
        practice: ``"local"``, ``"grad"`` or ``"both"`` makes it a practice page (see the module docs): per step
            an answer box for each question of :func:`autograd_core.practice.worksheet`, judged in the page.
        tries: tries per question in practice mode.

    Needs no Graphviz program: the page lays its graph out itself (the vendored WebAssembly Graphviz).
    """
    target = html_path(path, "step_page")
    text = step_page_html(root, title=title, grad=grad, rankdir=rankdir, precision=precision, max_steps=max_steps,
                          practice=practice, tries=tries)
    atomic_write(target, text)
    return sum(1 for v in topological_order(root) if not v.is_leaf)


class StepThrough:
    """A step-through of one backward pass for notebooks: shown inline by Jupyter and Colab (the step page in an
    ``<iframe srcdoc>``: no kernel round trip, no ``dot``), ``.html()`` its page, ``.save(path)`` writes it.

    Made by :func:`step_through`, which runs the pass once (leaves accumulate, as with ``backward()``); it keeps
    only the page's text, never the graph.
    """

    __slots__ = ("_page", "steps", "height")

    def __init__(self, page: str, steps: int, height: int = 720) -> None:
        if not isinstance(page, str):
            raise TypeError(f"StepThrough: page must be HTML text (a str), got {type(page).__name__}")
        self._page, self.steps, self.height = page, steps, height

    def html(self) -> str:
        """The step page as a complete, self-contained HTML document."""
        return self._page

    def save(self, path: Union[str, os.PathLike]) -> Path:
        """Write the page to ``path`` (atomically); returns the path."""
        return atomic_write(html_path(path, "StepThrough.save"), self._page)

    def _repr_html_(self) -> str:
        return notebook_frame(self._page, height=self.height, title="backward pass, step by step")

    def __repr__(self) -> str:
        return (f"<StepThrough: {self.steps} backward step{'' if self.steps == 1 else 's'}; shown inline in Jupyter, "
                ".html() for the page, .save('steps.html') to write it>")


def step_through(root: Value, *, height: int = 720, **options) -> StepThrough:
    """The step page of ``root``'s backward pass for a notebook: ``step_through(loss)`` as a cell's last line shows
    it inline (Jupyter, Colab). ``options`` are :func:`step_page`'s (``title``, ``grad``, ``rankdir``,
    ``precision``, ``max_steps``, ``practice``, ``tries``); ``height`` is the inline frame's height in pixels.
    Runs the backward pass once, as :func:`step_page` does."""
    if isinstance(height, bool) or not isinstance(height, int) or height < 200:
        raise ValueError(f"step_through: height must be an int of at least 200 (pixels), got {height!r}")
    unknown = sorted(set(options) - {"title", "grad", "rankdir", "precision", "max_steps", "practice", "tries"})
    if unknown:
        raise TypeError(f"step_through: unknown option(s) {', '.join(unknown)}; the options are step_page's: title, "
                        "grad, rankdir, precision, max_steps, practice, tries")
    page = step_page_html(root, **options)
    return StepThrough(page, sum(1 for v in topological_order(root) if not v.is_leaf), height)


def value_html(v: Value, *, max_nodes: int = 200, height: int | None = None) -> str | None:
    """A Value's graph as an inline notebook view (``Value._repr_html_``): a small self-contained page in an
    ``<iframe srcdoc>`` whose graph (:func:`autograd_core.render.draw`) the vendored WebAssembly Graphviz lays
    out, with zoom and pan; no kernel round trip, no ``dot``. None when the graph is too big to draw even with its
    scopes collapsed (draw's ValueError), so Jupyter shows the text repr instead."""
    if not isinstance(v, Value):
        raise TypeError(f"value_html: expected a Value, got {type(v).__name__}")
    try:
        drawing = draw(v, max_nodes=max_nodes)
    except ValueError:
        return None
    names = node_names(v)
    what = f"{names[v]} = {v.data:.4g}" + (f" = {expression(v, names)}" if v.op_entry is not None else "")
    if height is None:
        # no layout in Python: the widest column of a left-to-right graph is usually its leaves
        leaves = sum(1 for n in topological_order(v) if n.is_leaf)
        height = max(220, min(560, 110 + 44 * leaves))
    body = "\n".join([
        f'<div class="bar"><span class="what">{escape(what)}</span>',
        '<button id="zoom-out" type="button" title="zoom out (-)">\u2212</button>',
        '<button id="zoom-in" type="button" title="zoom in (+)">+</button>',
        '<button id="zoom-actual" type="button" title="natural size">100%</button>',
        '<button id="zoom-fit" type="button" title="the whole graph">fit</button>',
        '<span id="zoom-level">100%</span></div>',
        '<div id="viewport" class="viewport" tabindex="0" aria-label="the computation graph: drag to pan, wheel to '
        'zoom"><div id="status" hidden>Laying out the graph\u2026</div></div>',
    ])
    page = standalone_page(title=f"graph of {names[v]}", body=body, style=_VIEW_STYLE,
                           scripts=[_viz_script(), _VIEWER, _VALUE_VIEW], data={"graph-data": {"dot": drawing.source}},
                           wasm=True)
    return notebook_frame(page, height=height, title=f"computation graph of {names[v]}")


HOOKS["repr_html"] = value_html
