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

Practice mode (``practice="local" | "grad" | "both"``) turns the page into an exercise: each step's frame shows the
graph with data only and an answer box per question of :func:`autograd_core.practice.worksheet` (the step's
gradient and/or its local derivatives; the leaves' gradients on the last frame). The page's own script judges an
answer exactly as :func:`autograd_core.practice.judge` does, with the same sentences: the right answers and every
classic mistake's number are computed in Python and embedded as a JSON data block (never executed), so nothing is
evaluated but a small arithmetic reader (numbers, ``+ - * / **``, parentheses, exp, log, sqrt, sin, cos, tanh,
sigmoid, abs). Nothing is revealed until answered or asked: Hint, Show, and "Show the whole step" (the usual
picture and text of the step, kept in a hidden block). The last frame keeps the summary.

Rendering needs only Graphviz's ``dot`` program (no Python package): :mod:`autograd_core.render` writes the DOT.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path
from typing import Union

from .files import atomic_write
from .graph import topological_order
from .ops import to_float
from .practice import MISTAKES, worksheet
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
    if (e.target && e.target.tagName === "INPUT") { return; }
    var k = {ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: frames.length - 1}[e.key];
    if (k !== undefined) { e.preventDefault(); show(k); }
  });
  document.getElementById("controls").hidden = false;
  show(0);
})();
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


def _frame(index: int, kind: str, title: str, svg: str, caption: str, node: str = "", step: str = "",
           practice: str = "") -> str:
    """One frame: a picture and the step's text; in practice mode (``practice`` holds the questions' markup) the
    picture shows no gradient, and the full picture and the text wait behind a button."""
    attrs = f'class="frame" id="frame-{index}" data-index="{index}" data-kind="{kind}" data-title="{escape(title)}"'
    if node:
        attrs += f' data-node="{escape(node)}" data-step="{escape(step)}"'
    if not practice:
        return (f"<section {attrs}>\n<h2>{escape(title)}</h2>\n<div class=\"picture\">{svg}</div>\n"
                f"<pre class=\"caption\">{escape(caption)}</pre>\n</section>")
    return f"<section {attrs}>\n<h2>{escape(title)}</h2>\n{practice}\n</section>"


def _question_html(q) -> str:
    qid = escape(q.id)
    return (f'<div class="question" data-q="{qid}" data-kind="{escape(q.kind)}">'
            f'<label for="answer-{qid}">{escape(q.label)} =</label>'
            f'<input id="answer-{qid}" type="text" autocomplete="off" spellcheck="false" inputmode="text" '
            f'aria-describedby="feedback-{qid}">'
            '<button type="button" class="check">Check</button><button type="button" class="hint">Hint</button>'
            '<button type="button" class="show">Show</button>'
            f'<div class="feedback" id="feedback-{qid}" aria-live="polite"></div></div>')


def _practice_body(question_svg: str, given: str, questions: tuple, solution_svg: str, caption: str,
                   extra: str = "") -> str:
    """A practice frame's body: the picture without gradients, the values, the questions, the hidden solution."""
    asked = "".join(_question_html(q) for q in questions)
    parts = [f'<div class="picture">{question_svg}</div>']
    if given:
        parts.append(f'<p class="given">{escape(given)}</p>')
    if questions:
        parts.append(f'<div class="questions practice" hidden>{asked}</div>')
    elif not extra:
        parts.append('<p class="given">Nothing is asked at this step: look, then go on.</p>')
    parts.append(extra)
    parts.append('<div class="practice" hidden><button type="button" class="reveal">Show the whole step</button>'
                 f'<div class="solution" hidden><div class="picture">{solution_svg}</div>'
                 f'<pre class="caption">{escape(caption)}</pre></div></div>')
    return "\n".join(p for p in parts if p)


_ASKS = ("local", "grad", "both")
_LEGEND = ('<p class="legend"><span class="swatch current"></span>node being visited '
           '<span class="swatch visited"></span>nodes already visited <span class="swatch edge"></span>this step\'s '
           "edges: local derivative -&gt; contribution (upstream x local) added to the input's grad</p>")
_PRACTICE_LEGEND = ('<p class="legend"><span class="swatch current"></span>node being visited. The pictures show '
                    "data only; \u201cShow the whole step\u201d shows the gradients and the local derivatives.</p>")


def step_page_html(root: Value, *, title: str | None = None, grad: Union[int, float] = 1.0,
                   rankdir: str = "LR", precision: int = 4, max_steps: int = 300, practice: str | None = None,
                   tries: int = 2) -> str:
    """The step-through page of ``root``'s backward pass as HTML text (see :func:`step_page`; ``practice`` and
    ``tries`` make it a practice page, see the module docs)."""
    from .render import draw, to_svg
    from .trace import backward_steps, expression, node_names

    if not isinstance(root, Value):
        raise TypeError(f"step_page: root must be a Value, got {type(root).__name__}")
    seed = to_float(grad, "step_page(grad=...)")
    for name, limit in (("precision", precision), ("max_steps", max_steps), ("tries", tries)):
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"step_page: {name} must be a positive int, got {limit!r}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"step_page: title must be a str, got {type(title).__name__}")
    if practice is not None and practice not in _ASKS:
        raise ValueError(f"step_page: practice must be None or one of {', '.join(_ASKS)}, got {practice!r}")
    order = topological_order(root)
    n_steps = sum(1 for v in order if not v.is_leaf)
    if n_steps > max_steps:
        raise ValueError(f"step_page: the backward pass has {n_steps} steps, more than max_steps={max_steps}; one "
                         "frame per step would make a huge page: step through a smaller expression or raise "
                         "max_steps")
    names = node_names(root)
    rname = names[root]
    fmt = lambda x: f"{x:.{precision}g}"
    heading = title if title is not None else (expression(root, names) if root.op_entry is not None else rname)
    # the worksheet is computed before the pass runs: it reads the leaves' grads as they were (accumulation)
    sheet = worksheet(root, practice, grad=seed, title=heading) if practice is not None else None
    stages = {st.index: st for st in sheet.stages} if sheet is not None else {}

    frames = []
    # the forward picture's edges carry the local derivatives, which a practice page asks for: drawn without them
    forward = to_svg(draw(root, rankdir=rankdir, show_grads=False, show_local=sheet is None))
    intro = (f"forward pass: {rname} = {fmt(root.data)}; every node shows its data.\n"
             f"backward starts at {rname} with d {rname} / d {rname} = {fmt(seed)} and visits the "
             f"{n_steps} interior nodes in reverse topological order. Press Next (or the right arrow key).")
    if sheet is None:
        frames.append(_frame(0, "forward", "forward pass", _inline_svg(forward, "f0-"), intro))
    else:
        total = len(sheet.questions())
        what = {"local": "the local derivatives d node / d input", "grad": f"the gradients d {rname} / d node",
                "both": f"the gradients d {rname} / d node and the local derivatives d node / d input"}[practice]
        text = (f"Practice: at each step, give {what} ({total} questions, {tries} tries each). Type a number or a "
                "small expression (1/3, 2*(-0.7)*3) and press Enter or Check. A wrong answer is compared with the "
                "classic mistakes, which are named; Hint gives a hint, Show the answer, and \u201cShow the whole "
                "step\u201d the finished step. Nothing is revealed until you answer or ask.")
        body = (f'<div class="picture">{_inline_svg(forward, "f0-")}</div>\n<p class="intro">{escape(text)}</p>\n'
                f'<pre class="caption">{escape(intro)}</pre>\n<noscript><p>The practice questions need '
                'JavaScript.</p></noscript>')
        frames.append(_frame(0, "forward", "forward pass", "", "", practice=body))
    for step in backward_steps(root, seed):
        k = step.index + 1
        svg = to_svg(draw(root, rankdir=rankdir, highlight=step))
        title_k = f"step [{step.index}] of {step.total}: {step.name} = {step.expression}"
        if sheet is None:
            frames.append(_frame(k, "step", title_k, _inline_svg(svg, f"f{k}-"), step.format(precision),
                                 node=step.name, step=str(step.index)))
            continue
        stage = stages.get(step.index)
        bare = to_svg(draw(root, rankdir=rankdir, highlight=step.node, show_grads=False, show_local=False))
        given = stage.given if stage is not None else ""
        body = _practice_body(_inline_svg(bare, f"f{k}q-"), given, stage.questions if stage else (),
                              _inline_svg(svg, f"f{k}-"), step.format(precision))
        frames.append(_frame(k, "step", title_k, "", "", node=step.name, step=str(step.index), practice=body))
    leaves = [v for v in reversed(order) if v.is_leaf]
    done = to_svg(draw(root, rankdir=rankdir))
    summary = "\n".join(f"  d {rname} / d {names[v]} = {fmt(v.grad)}" for v in leaves)
    done_text = f"backward done: every gradient is complete. The leaves:\n{summary}"
    n = len(frames)
    if sheet is None:
        frames.append(_frame(n, "done", "backward done", _inline_svg(done, f"f{n}-"), done_text))
    else:
        stage = stages.get(None)
        bare = to_svg(draw(root, rankdir=rankdir, show_grads=False, show_local=False))
        extra = '<pre id="summary" class="practice" aria-live="polite" hidden></pre>'
        body = _practice_body(_inline_svg(bare, f"f{n}q-"), stage.given if stage else "",
                              stage.questions if stage else (), _inline_svg(done, f"f{n}-"), done_text, extra)
        frames.append(_frame(n, "done", "backward done" if stage is None else "backward done: the leaves", "", "",
                             practice=body))

    scripts = [_SCRIPT] + ([_PRACTICE_SCRIPT] if sheet is not None else [])
    style = _STYLE + ("\n" + _PRACTICE_STYLE if sheet is not None else "")
    csp = (f"default-src 'none'; script-src {' '.join(_csp_hash(t) for t in scripts)}; "
           f"style-src {_csp_hash(style)}; img-src 'none'; base-uri 'none'; form-action 'none'")
    last = len(frames) - 1
    data = []
    if sheet is not None:
        payload = {**sheet.to_dict(), "tries": tries, "order": list(MISTAKES)}
        # a data block, never executed; "<" escaped so no text in it can close the element
        text = json.dumps(payload, ensure_ascii=True, allow_nan=False).replace("<", "\\u003c")
        data = [f'<script type="application/json" id="practice-data">{text}</script>']
    h1 = "Practise backward, step by step" if sheet is not None else "Backward pass, step by step"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>backward pass of {escape(heading)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        f"<h1>{h1}</h1>\n<p class=\"expr\">{escape(rname)} = <code>{escape(heading)}</code>"
        f" = {escape(fmt(root.data))}</p>",
        '<div id="controls" hidden>',
        '<nav aria-label="steps">',
        '<button id="prev" type="button" title="previous step (left arrow)">&larr; Prev</button>',
        f'<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="frame">',
        '<button id="next" type="button" title="next step (right arrow)">Next &rarr;</button>',
        '<span id="position" aria-live="polite"></span>',
        "</nav>",
        _LEGEND if sheet is None else _PRACTICE_LEGEND,
        "</div>",
        "<main>",
        *frames,
        "</main>",
        *data,
        *[f"<script>{t}</script>" for t in scripts],
        "</body>",
        "</html>",
        "",
    ])


def step_page(root: Value, path: Union[str, os.PathLike], *, title: str | None = None,
              grad: Union[int, float] = 1.0, rankdir: str = "LR", precision: int = 4, max_steps: int = 300,
              practice: str | None = None, tries: int = 2) -> int:
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
        practice: ``"local"``, ``"grad"`` or ``"both"`` makes it a practice page (see the module docs): per step
            an answer box for each question of :func:`autograd_core.practice.worksheet`, judged in the page.
        tries: tries per question in practice mode.

    Needs Graphviz's ``dot`` program, no Python package (:class:`autograd_core.render.DotNotFoundError` says how to
    install it).
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"step_page: directory {str(directory)!r} does not exist")
    text = step_page_html(root, title=title, grad=grad, rankdir=rankdir, precision=precision, max_steps=max_steps,
                          practice=practice, tries=tries)
    atomic_write(target, text)
    return sum(1 for v in topological_order(root) if not v.is_leaf)
