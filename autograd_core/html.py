"""The step-through page: one self-contained HTML file that replays a backward pass one click at a time.

:func:`step_page` writes it (``autograd-core trace "EXPR" x=1 --html out.html`` calls it), :func:`step_page_html`
returns it as text. The page holds one inline SVG picture per frame, drawn by Graphviz through
:func:`autograd_core.render.draw`: first the forward pass, then one frame per step of
:func:`autograd_core.backward_steps` (the visited node highlighted, the gradients as they stand right after the
step, the step's edges labelled ``local -> contribution``), then the finished pass. Under each picture is the
step's text. Prev/Next buttons, the left/right arrow keys (Home/End) and a slider move between frames.

The file needs nothing else: no network access, no external scripts, styles, fonts or images. A
Content-Security-Policy allows only the page's own script and style (by hash). All text is HTML-escaped, and each
SVG is parsed and rebuilt keeping only Graphviz's drawing elements and attributes (no scripts, links, event
handlers or external references), so labels cannot inject markup. Without JavaScript every frame is shown in order.

Rendering needs the ``graphviz`` Python package (the ``viz`` extra) and Graphviz's ``dot`` program.
"""

from __future__ import annotations

import base64
import hashlib
import os
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path
from typing import Union

from .files import atomic_write
from .graph import topological_order
from .ops import to_float
from .value import Value

__all__ = ["step_page", "step_page_html"]

_SVG_NS = "http://www.w3.org/2000/svg"
# Graphviz's drawing vocabulary; anything else (script, a, image, foreignObject, style, ...) is dropped
_SVG_ELEMENTS = frozenset({"svg", "g", "title", "polygon", "polyline", "ellipse", "path", "text", "tspan", "desc"})
_SVG_ATTRIBUTES = frozenset({
    "id", "class", "transform", "viewBox", "width", "height", "fill", "stroke", "stroke-width", "stroke-dasharray",
    "stroke-opacity", "fill-opacity", "points", "d", "cx", "cy", "rx", "ry", "r", "x", "y", "x1", "y1", "x2", "y2",
    "text-anchor", "font-family", "font-size", "font-weight", "font-style", "text-decoration", "preserveAspectRatio",
})

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:1rem 1.5rem;color:#1b1b1b}
h1{font-size:1.3rem;margin:0 0 .3rem}
.expr{margin:0 0 .8rem;color:#444}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
nav{display:flex;gap:.6rem;align-items:center;margin:.5rem 0 1rem;flex-wrap:wrap}
nav button{font-size:1rem;padding:.3rem .9rem}
#slider{flex:1 1 16rem;min-width:10rem}
#position{font-variant-numeric:tabular-nums;min-width:14rem}
.frame{border-top:1px solid #ddd;padding-top:.6rem;margin-bottom:1.5rem}
.frame h2{font-size:1rem;margin:0 0 .4rem}
.picture svg{max-width:100%;height:auto}
.caption{background:#f6f8fa;border:1px solid #e1e4e8;border-radius:4px;padding:.6rem .8rem;white-space:pre-wrap;
overflow-x:auto;font-size:.9rem}
.legend{font-size:.85rem;color:#555;margin:.2rem 0 .8rem}
.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid #777;vertical-align:-.1em;margin-right:.25em}
.current{background:#ffd54f}.visited{background:#dbe9f6}.edge{background:#c62828}
""".strip()

_SCRIPT = """
(function () {
  "use strict";
  var frames = document.querySelectorAll("section.frame");
  var slider = document.getElementById("slider");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var position = document.getElementById("position");
  var current = 0;
  function show(k) {
    k = Math.max(0, Math.min(frames.length - 1, k));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = i !== k; }
    current = k;
    slider.value = String(k);
    position.textContent = "frame " + (k + 1) + " of " + frames.length;
    prev.disabled = k === 0;
    next.disabled = k === frames.length - 1;
    document.body.setAttribute("data-current", String(k));
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (e) {
    if (e.target === slider || e.altKey || e.ctrlKey || e.metaKey) { return; }
    var k = {ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: frames.length - 1}[e.key];
    if (k !== undefined) { e.preventDefault(); show(k); }
  });
  document.getElementById("controls").hidden = false;
  show(0);
})();
""".strip()


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def _inline_svg(svg_text: str, prefix: str) -> str:
    """Graphviz's SVG rebuilt from its drawing elements only, ids prefixed (a page holds many frames), as markup.

    Elements outside Graphviz's drawing vocabulary (script, a, image, foreignObject, style, ...) are dropped with
    their content and the text after them; attributes outside it (event handlers, links, styles) and any value
    with ``url(`` or ``javascript:`` are dropped; all text and attribute values are escaped again on the way out.
    """
    root = ET.fromstring(svg_text.encode("utf-8"))
    if _local(root.tag) != (_SVG_NS, "svg"):
        raise ValueError(f"step_page: expected an SVG document from Graphviz, got <{_local(root.tag)[1]}>")
    out: list = []
    # iterative walk (no SVG can exhaust the recursion limit): (element, closing?)
    stack: list = [(root, False)]
    while stack:
        el, closing = stack.pop()
        tag = _local(el.tag)[1]
        if closing:
            out.append(f"</{tag}>")
            if el.tail and el is not root:
                out.append(escape(el.tail, quote=False))
            continue
        attrs = [f' xmlns="{_SVG_NS}"'] if el is root else []
        for name, value in el.attrib.items():
            ns, local = _local(name)
            low = value.lower()
            if ns or local not in _SVG_ATTRIBUTES or "url(" in low or "javascript:" in low:
                continue
            if local == "id":
                value = prefix + value
            attrs.append(f' {local}="{escape(value, quote=True)}"')
        out.append(f"<{tag}{''.join(attrs)}>")
        if el.text:
            out.append(escape(el.text, quote=False))
        stack.append((el, True))
        for child in reversed(list(el)):
            ns, child_tag = _local(child.tag) if isinstance(child.tag, str) else ("", "")
            if ns == _SVG_NS and child_tag in _SVG_ELEMENTS:
                stack.append((child, False))
    return "".join(out)


def _local(name: str) -> tuple[str, str]:
    # "{namespace}tag" -> (namespace, tag)
    if name.startswith("{"):
        ns, _, tag = name[1:].partition("}")
        return ns, tag
    return "", name


def _frame(index: int, kind: str, title: str, svg: str, caption: str, node: str = "", step: str = "") -> str:
    attrs = f'class="frame" id="frame-{index}" data-index="{index}" data-kind="{kind}" data-title="{escape(title)}"'
    if node:
        attrs += f' data-node="{escape(node)}" data-step="{escape(step)}"'
    return (f"<section {attrs}>\n<h2>{escape(title)}</h2>\n<div class=\"picture\">{svg}</div>\n"
            f"<pre class=\"caption\">{escape(caption)}</pre>\n</section>")


def step_page_html(root: Value, *, title: str | None = None, grad: Union[int, float] = 1.0,
                   rankdir: str = "LR", precision: int = 4, max_steps: int = 300) -> str:
    """The step-through page of ``root``'s backward pass as HTML text (see :func:`step_page`)."""
    from .render import draw, to_svg
    from .trace import backward_steps, node_names

    if not isinstance(root, Value):
        raise TypeError(f"step_page: root must be a Value, got {type(root).__name__}")
    seed = to_float(grad, "step_page(grad=...)")
    for name, limit in (("precision", precision), ("max_steps", max_steps)):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"step_page: {name} must be a positive int, got {limit!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"step_page: title must be a str, got {type(title).__name__}")
    order = topological_order(root)
    n_steps = sum(1 for v in order if not v.is_leaf)
    if n_steps > max_steps:
        raise ValueError(f"step_page: the backward pass has {n_steps} steps, more than max_steps={max_steps}; one "
                         "frame per step would make a huge page: step through a smaller expression or raise "
                         "max_steps")
    names = node_names(root)
    rname = names[root]
    fmt = lambda x: f"{x:.{precision}g}"
    heading = title if title is not None else rname

    frames = []
    forward = to_svg(draw(root, rankdir=rankdir, show_grads=False))
    frames.append(_frame(0, "forward", "forward pass", _inline_svg(forward, "f0-"),
                         f"forward pass: {rname} = {fmt(root.data)}; every node shows its data.\n"
                         f"backward starts at {rname} with d {rname} / d {rname} = {fmt(seed)} and visits the "
                         f"{n_steps} interior nodes in reverse topological order. Press Next (or the right arrow "
                         "key)."))
    for step in backward_steps(root, seed):
        k = step.index + 1
        svg = to_svg(draw(root, rankdir=rankdir, highlight=step))
        title_k = f"step [{step.index}] of {step.total}: {step.name} = {step.expression}"
        frames.append(_frame(k, "step", title_k, _inline_svg(svg, f"f{k}-"), step.format(precision),
                             node=step.name, step=str(step.index)))
    leaves = [v for v in reversed(order) if v.is_leaf]
    done = to_svg(draw(root, rankdir=rankdir))
    summary = "\n".join(f"  d {rname} / d {names[v]} = {fmt(v.grad)}" for v in leaves)
    frames.append(_frame(len(frames), "done", "backward done", _inline_svg(done, f"f{len(frames)}-"),
                         f"backward done: every gradient is complete. The leaves:\n{summary}"))

    csp = (f"default-src 'none'; script-src {_csp_hash(_SCRIPT)}; style-src {_csp_hash(_STYLE)}; "
           "img-src 'none'; base-uri 'none'; form-action 'none'")
    last = len(frames) - 1
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>backward pass of {escape(heading)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>Backward pass, step by step</h1>\n<p class=\"expr\">{escape(rname)} = <code>{escape(heading)}</code>"
        f" = {escape(fmt(root.data))}</p>",
        '<div id="controls" hidden>',
        '<nav aria-label="steps">',
        '<button id="prev" type="button" title="previous step (left arrow)">&larr; Prev</button>',
        f'<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="frame">',
        '<button id="next" type="button" title="next step (right arrow)">Next &rarr;</button>',
        '<span id="position" aria-live="polite"></span>',
        "</nav>",
        '<p class="legend"><span class="swatch current"></span>node being visited '
        '<span class="swatch visited"></span>nodes already visited <span class="swatch edge"></span>this step\'s '
        "edges: local derivative -&gt; contribution (upstream x local) added to the input's grad</p>",
        "</div>",
        "<main>",
        *frames,
        "</main>",
        f"<script>{_SCRIPT}</script>",
        "</body>",
        "</html>",
        "",
    ])


def step_page(root: Value, path: Union[str, os.PathLike], *, title: str | None = None,
              grad: Union[int, float] = 1.0, rankdir: str = "LR", precision: int = 4, max_steps: int = 300) -> int:
    """Write the step-through page of ``root``'s backward pass to ``path``; return the number of backward steps.

    Runs the real backward pass with :func:`autograd_core.backward_steps` (so afterwards every ``.grad`` is what
    ``root.backward(grad)`` leaves; leaves accumulate as usual). Frames: the forward pass, one per step (the
    visited node highlighted, gradients so far, ``local -> contribution`` on its edges), and the finished pass.

    Args:
        root: the Value to differentiate.
        path: the ``.html`` file to write, atomically (a temporary file in the same directory, then renamed).
        title: the expression text shown in the heading (default: the root's name).
        grad: the seed d L / d root.
        rankdir: layout direction of the pictures (``"LR"``, ``"TB"``, ...).
        precision: significant digits in the step texts.
        max_steps: a larger backward pass raises ValueError instead of writing a huge page.

    Needs the ``graphviz`` package (``pip install 'autograd-core[viz]'``) and Graphviz's ``dot`` program
    (:class:`autograd_core.render.DotNotFoundError` says how to install it).
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"step_page: directory {str(directory)!r} does not exist")
    text = step_page_html(root, title=title, grad=grad, rankdir=rankdir, precision=precision, max_steps=max_steps)
    atomic_write(target, text)
    return sum(1 for v in topological_order(root) if not v.is_leaf)
