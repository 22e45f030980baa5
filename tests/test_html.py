"""The step-through page: structure, escaping, self-containment, file writing, and end to end in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import shutil
from pathlib import Path

import pytest

from autograd_core import Value, backward_steps, parse_expression
from autograd_core.html import _inline_svg, step_page, step_page_html
from autograd_core.trace import node_names

if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed (CI installs it)", allow_module_level=True)


def lecture(expr: str = "x*y + 3*x**2", **values: float) -> tuple[Value, dict]:
    values = values or {"x": -2.0, "y": -2.0}
    xs = {name: Value(v, label=name) for name, v in values.items()}
    return parse_expression(expr, xs), xs


def sections(page: str) -> list[dict]:
    """Each frame's attributes and caption text."""
    out = []
    for m in re.finditer(r'<section ([^>]*)>(.*?)</section>', page, flags=re.S):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))
        caption = re.search(r'<pre class="caption">(.*?)</pre>', m.group(2), flags=re.S).group(1)
        out.append({**{k: html.unescape(v) for k, v in attrs.items()}, "caption": html.unescape(caption),
                    "body": m.group(2)})
    return out


def test_one_frame_per_step_between_forward_and_done():
    f, _ = lecture()
    page = step_page_html(f, title="x*y + 3*x**2")
    g, _ = lecture()
    steps = list(backward_steps(g))
    frames = sections(page)
    assert [fr["data-kind"] for fr in frames] == ["forward"] + ["step"] * len(steps) + ["done"]
    assert [fr["data-index"] for fr in frames] == [str(i) for i in range(len(frames))]
    for fr, step in zip(frames[1:], steps):
        assert fr["data-node"] == step.name and fr["data-step"] == str(step.index)
        assert fr["caption"] == step.format(4)
        assert fr["body"].count('fill="#ffd54f"') == 1  # exactly one node highlighted
    assert "grad" not in re.sub(r"<title>.*?</title>", "", frames[0]["body"])  # the forward frame shows data only
    root = node_names(g)[g]  # unlabelled: named by its op, as the stepper names it
    assert f"d {root} / d x = -14" in frames[-1]["caption"] and f"d {root} / d y = -2" in frames[-1]["caption"]
    assert '<input id="slider" type="range" min="0" max="5"' in page


def test_page_leaves_the_gradients_backward_leaves():
    f, xs = lecture()
    step_page_html(f)
    g, ys = lecture()
    g.backward()
    assert (xs["x"].grad, xs["y"].grad) == (ys["x"].grad, ys["y"].grad)


def test_page_is_self_contained_and_its_csp_allows_only_its_own_script_and_style():
    f, _ = lecture()
    page = step_page_html(f)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', page).group(1)
    script = re.search(r"<script>(.*?)</script>", page, flags=re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", page, flags=re.S).group(1)

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert f"script-src {digest(script)};" in csp and f"style-src {digest(style)};" in csp
    assert csp.startswith("default-src 'none';")
    assert page.count("<script") == 1 and page.count("<style") == 1
    no_xmlns = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for forbidden in ("http:", "https:", "//", " src=", "href", "<link", "<img", "<iframe", "@import", "url(",
                      "<?xml", "<!DOCTYPE svg", "<!--"):
        assert forbidden not in no_xmlns.replace("</", "<"), forbidden
    # one page holds many SVGs: ids stay unique
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_labels_and_title_are_escaped():
    evil = '<script>alert("x")</script>&\'{|}'
    v = Value(2.0, label=evil)
    page = step_page_html(v * 3, title='</code><img src=x onerror="alert(1)">')
    assert page.count("<script") == 1 and "<img" not in page and "onerror=\"" not in page
    assert "&lt;/code&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;" in page  # in captions and SVG text


def test_svg_is_reduced_to_drawing_elements():
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE svg><svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" width="10pt" onload="alert(1)">'
        '<!-- a comment --><g id="node1" class="node" style="x"><title>v0</title>'
        '<script>alert(2)</script><a xlink:href="javascript:alert(3)"><text>link</text></a>'
        '<foreignObject><div>html</div></foreignObject><image href="http://example.com/x.png"/>'
        '<polygon fill="url(http://example.com/#x)" stroke="black" points="0,0 1,1"/>'
        '<text x="1" y="2">a &lt;b&gt; &amp; "c"</text></g></svg>'
    )
    out = _inline_svg(hostile, "f3-")
    assert out == ('<svg xmlns="http://www.w3.org/2000/svg" width="10pt"><g id="f3-node1" class="node">'
                   '<title>v0</title><polygon stroke="black" points="0,0 1,1"></polygon>'
                   '<text x="1" y="2">a &lt;b&gt; &amp; "c"</text></g></svg>')


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


def test_step_page_refuses_huge_passes_before_touching_anything(tmp_path):
    f, xs = lecture()
    with pytest.raises(ValueError, match="4 steps, more than max_steps=3"):
        step_page(f, tmp_path / "page.html", max_steps=3)
    assert list(tmp_path.iterdir()) == [] and xs["x"].grad == 0.0
    with pytest.raises(TypeError, match="root must be a Value"):
        step_page_html(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="precision must be a positive int"):
        step_page_html(f, precision=0)


def test_a_leaf_has_no_steps():
    frames = sections(step_page_html(Value(3.0, label="x")))
    assert [fr["data-kind"] for fr in frames] == ["forward", "done"]
    assert "d x / d x = 1" in frames[-1]["caption"]


# ------------------------------------------------------------------------------------------ the browser
_READ_FRAME = """
var shown = Array.from(document.querySelectorAll("section.frame")).filter(function (s) { return !s.hidden; });
var sec = shown[0];
return {
  shown: shown.length,
  index: sec.getAttribute("data-index"),
  current: document.body.getAttribute("data-current"),
  slider: document.getElementById("slider").value,
  position: document.getElementById("position").textContent,
  caption: sec.querySelector("pre.caption").textContent,
  nodes: Array.from(sec.querySelectorAll("g.node")).map(function (g) {
    var shape = g.querySelector("polygon, ellipse");
    return {fill: shape ? shape.getAttribute("fill") : null,
            texts: Array.from(g.querySelectorAll("text")).map(function (t) { return t.textContent; })};
  })
};
"""


def _records(frame: dict) -> dict:
    """name -> (highlighted?, grad text) for the Value records of the visible picture (op ellipses skipped)."""
    out = {}
    for node in frame["nodes"]:
        texts = [" ".join(t.split()) for t in node["texts"]]
        if len(texts) < 2 or not texts[1].startswith("data "):
            continue
        name = texts[0].split(" (step ")[0]
        grad = next((t[len("grad "):] for t in texts if t.startswith("grad ")), None)
        out[name] = (node["fill"] == "#ffd54f", grad)
    return out




def test_page_in_headless_chromium(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    f, _ = lecture()
    page = tmp_path / "steps.html"
    step_page(f, page, title="x*y + 3*x**2")
    g, _ = lecture()
    steps = list(backward_steps(g))
    names = node_names(g)

    browser.get(page.as_uri())
    frame = browser.execute_script(_READ_FRAME)
    assert (frame["shown"], frame["index"], frame["current"], frame["slider"]) == (1, "0", "0", "0")
    assert frame["position"] == f"frame 1 of {len(steps) + 2}"
    assert not any(highlighted for highlighted, _ in _records(frame).values())
    assert browser.find_element(By.ID, "prev").get_property("disabled")

    body = browser.find_element(By.TAG_NAME, "body")
    for k, step in enumerate(steps):
        if k % 2 == 0:
            browser.find_element(By.ID, "next").click()
        else:
            body.send_keys(Keys.ARROW_RIGHT)
        frame = browser.execute_script(_READ_FRAME)
        assert (frame["shown"], frame["index"], frame["slider"]) == (1, str(k + 1), str(k + 1))
        assert frame["caption"] == step.format(4)
        records = _records(frame)
        assert [name for name, (hl, _) in records.items() if hl] == [step.name]  # the stepper's node, alone
        so_far = step.grads_so_far()
        assert records == {names[v]: (v is step.node, f"{so_far[v]:.4g}") for v in so_far}
        if k == 1:
            browser.save_screenshot(str(tmp_path / "step.png"))
    assert records["x"][1] == "-14" and records["y"][1] == "-2"

    body.send_keys(Keys.ARROW_RIGHT)
    frame = browser.execute_script(_READ_FRAME)
    assert frame["index"] == str(len(steps) + 1) and "backward done" in frame["caption"]
    assert browser.find_element(By.ID, "next").get_property("disabled")
    body.send_keys(Keys.ARROW_LEFT)
    assert browser.execute_script(_READ_FRAME)["index"] == str(len(steps))
    browser.find_element(By.ID, "slider").send_keys(Keys.HOME)  # the slider, by keyboard
    assert browser.execute_script(_READ_FRAME)["index"] == "0"
    body.send_keys(Keys.END)
    assert browser.execute_script(_READ_FRAME)["index"] == str(len(steps) + 1)

    shot = Path(tmp_path / "step.png")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    # no CSP violation, no failed request, no script error
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


# ------------------------------------------------------------------------------------------ practice mode
def _used_twice():
    from autograd_core.practice import EXERCISES

    return EXERCISES["used-twice"].build()[0]


def test_practice_page_embeds_the_worksheet_and_reveals_nothing_without_asking():
    import json

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
    visible = re.sub(r'<div class="solution" hidden>.*?</pre></div>', "", visible, flags=re.S)
    for q in sheet.questions():
        assert q.right_text not in visible and q.show not in visible and q.hints[0] not in visible
    assert visible.count('<div class="solution" hidden>') == 0 and page.count('<div class="solution" hidden>') == 4
    assert "grad " not in re.sub(r"<title>.*?</title>", "", visible)  # the pictures show data only
    visible_svgs = re.findall(r"<svg.*?</svg>", visible, flags=re.S)
    assert len(visible_svgs) == len(frames)  # one bare picture per frame: no edge labels (local derivatives)
    assert all('class="edge"' in svg and "<text" not in "".join(re.findall(r'<g [^>]*class="edge".*?</g>', svg,
                                                                          flags=re.S)) for svg in visible_svgs)
    # two scripts (the page's and the practice's) by hash, and the data block, which is never executed
    csp = re.search(r'content="([^"]*)"', page).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 2 and page.count("<script") == 3
    for s in scripts:
        assert "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" in csp
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
    browser.get(page.as_uri())
    stage_frame = {st.index: (st.index + 1 if st.index is not None else None) for st in sheet.stages}
    n_frames = len(sections(page.read_text(encoding="utf-8")))
    for stage in sheet.stages:
        k = stage_frame[stage.index] if stage.index is not None else n_frames - 1
        browser.find_element(By.ID, "slider").send_keys(*(["\ue011"] + ["\ue014"] * k))  # Home, then right
        assert browser.execute_script(_READ_FRAME)["index"] == str(k)
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
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_practice_page_hints_show_summary_and_screenshot(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from autograd_core.practice import Summary, worksheet

    page = tmp_path / "practice.html"
    step_page(_used_twice(), page, practice="both")
    sheet = worksheet(_used_twice(), "both")
    browser.get(page.as_uri())
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    first, second = sheet.stages[0].questions[:2]
    el = browser.find_element(By.CSS_SELECTOR, f'.question[data-q="{first.id}"]')
    el.find_element(By.CLASS_NAME, "hint").click()
    el.find_element(By.CLASS_NAME, "hint").click()
    assert browser.execute_script(_FEEDBACK, first.id)["lines"] == [f"hint: {h}" for h in first.hints]
    _answer(browser, first.id, "-1")  # a sign error, and typing never turns the page
    assert browser.execute_script(_READ_FRAME)["index"] == "1"
    el.find_element(By.CLASS_NAME, "show").click()
    fb = browser.execute_script(_FEEDBACK, first.id)
    assert fb["outcome"] == "shown" and fb["lines"][-1] == f"the answer: {first.show}"
    assert browser.find_element(By.ID, f"answer-{first.id}").get_property("readOnly")
    _answer(browser, second.id, repr(second.answer))
    solution = browser.find_elements(By.CSS_SELECTOR, ".solution")[0]
    assert not solution.is_displayed()
    browser.find_elements(By.CSS_SELECTOR, "button.reveal")[0].click()
    assert solution.is_displayed() and "upstream" in solution.text
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
        assert (tmp_path / shot).read_bytes().startswith(b"\x89PNG")
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
