"""The training explorer (nn.explore, fit(record=...)): recording changes nothing, frames, page size, bad
arguments, and the page in headless Chromium (scrubber, play, weight panel, no errors, readable text, no injection)."""

from __future__ import annotations

import base64
import json
import math
import random
import re
import zlib
from pathlib import Path

import pytest

import nn
import nn.explore as explore
from autograd_core.page import notebook_frame


def _data(n: int = 24, seed: int = 3) -> tuple:
    """Two noisy clusters in the plane with targets -1/+1 (a problem an MLP(2, [4, 4, 1]) separates)."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = 1 if i % 2 else -1
        X.append([t * 0.8 + rng.gauss(0, 0.5), -t * 0.4 + rng.gauss(0, 0.5)])
        y.append(t)
    return X, y


def _train(record=None, *, epochs: int = 6, batch_size=4, compile=False, shuffle=True, callback=None):  # noqa: A002
    X, y = _data()
    model = nn.MLP(2, [4, 4, 1], activation="tanh", seed=1)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.5)
    h = nn.fit(model, X, y, "hinge", opt, epochs, batch_size=batch_size, progress=False, seed=7, l2=1e-3,
               shuffle=shuffle, compile=compile, record=record, callback=callback)
    return model, h


# ------------------------------------------------------------------------------------------ recording
@pytest.mark.parametrize("compile_", [False, True])
def test_recording_changes_no_loss_and_no_parameter(tmp_path, compile_):
    shuffle = not compile_  # compile needs fixed batches
    plain, h0 = _train(compile=compile_, shuffle=shuffle)
    page = tmp_path / "run.html"
    recorded, h1 = _train(page, compile=compile_, shuffle=shuffle)
    # bit-identical, not merely close: the recorder only reads the parameters
    assert [v.hex() for v in h1.step_loss] == [v.hex() for v in h0.step_loss]
    assert [v.hex() for v in h1.grad_norm] == [v.hex() for v in h0.grad_norm]
    assert [p.data.hex() for p in recorded.parameters()] == [p.data.hex() for p in plain.parameters()]
    assert h0.explorer is None and isinstance(h1.explorer, explore.Explorer)
    text = page.read_text(encoding="utf-8")
    assert text == h1.explorer.html() and text.startswith("<!DOCTYPE html>")
    assert h1.explorer.frames == list(range(h1.steps))  # 36 steps: every one is a frame
    data = _page_data(text)
    assert data["steps"] == h1.steps and len(data["state"]) == h1.steps and len(data["text"]) == h1.steps
    assert data["loss"][0] == pytest.approx(h1.step_loss[0], rel=1e-5)
    assert len(data["cells"]) == h1.steps and len(data["cells"][0]) == explore.GRID ** 2


def test_subsampling_keeps_the_first_and_the_last_step(tmp_path):
    rec = explore.Recorder(tmp_path / "long.html", max_frames=5, grid=6)
    model, h = _train(rec, epochs=9, batch_size=2)  # 108 steps
    frames = h.explorer.frames
    assert h.steps == 108 and frames[0] == 0 and frames[-1] == h.steps - 1
    assert len(frames) <= rec.max_frames + 1
    inner = frames[:-1]
    assert all(b - a == inner[1] - inner[0] for a, b in zip(inner, inner[1:]))
    assert rec.explorer() is h.explorer
    data = _page_data((tmp_path / "long.html").read_text(encoding="utf-8"))
    assert data["frames"] == frames and len(data["cells"][0]) == 36


def test_an_early_stop_still_writes_the_page_with_its_last_step(tmp_path):
    page = tmp_path / "stopped.html"
    rec = explore.Recorder(page, max_frames=4)
    _, h = _train(rec, epochs=50, callback=lambda hist: hist.epochs == 3)
    assert h.stopped_early and h.steps == 18
    assert h.explorer.frames[0] == 0 and h.explorer.frames[-1] == 17
    assert page.exists() and "stopped early" in page.read_text(encoding="utf-8")


def test_ctrl_c_still_writes_the_page_of_the_completed_steps(tmp_path):
    page = tmp_path / "interrupted.html"

    def interrupt(hist):
        if hist.epochs == 2:
            raise KeyboardInterrupt

    _, h = _train(explore.Recorder(page, grid=4), epochs=5, callback=interrupt)
    assert h.interrupted and h.steps == 12 and h.explorer.frames[-1] == 11
    assert "interrupted" in page.read_text(encoding="utf-8")


def test_classes_and_one_input_models():
    # three classes: the boundary holds the argmax class per grid point
    rng = random.Random(0)
    X = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(15)]
    y = [int(x[0] > 0) + int(x[1] > 0) for x in X]
    model = nn.MLP(2, [5, 3], activation="tanh", seed=2)
    h = nn.fit(model, X, y, "cross_entropy", nn.Adam(model.parameters(), lr=0.05), 4, progress=False,
               record=explore.Recorder(grid=5))
    data = _page_data(h.explorer.html())
    assert data["plane"] == {"size": 5, "binary": False}
    assert {v for frame in data["cells"] for v in frame} <= {0, 1, 2} and len(data["text"][0]) == 5 * 2 + 3 * 5
    # one input (notes 001's regression network): no decision boundary, the rest as usual
    X1 = [[x / 4] for x in range(-8, 9)]
    y1 = [[0.5 + 0.4 * math.sin(x[0])] for x in X1]
    net = nn.MLP(1, [2, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    h1 = nn.fit(net, X1, y1, "half_mse", nn.SGD(net.parameters(), lr=0.5), 3, progress=False,
                record=explore.Recorder())
    page = h1.explorer.html()
    assert 'id="plane-svg"' not in page and _page_data(page)["plane"] is None and _page_data(page)["cells"] == []
    assert len(_page_data(page)["w"][0]) == 2 + 4 + 2


def test_the_grid_without_numpy_equals_the_grid_with_it():
    from nn.delta import forward, network

    numpy = pytest.importorskip("numpy")
    model = nn.MLP(2, [3, 3, 1], activation="relu", seed=4)
    net = network(model)
    px, py = [0.1 * i - 1 for i in range(21)], [0.07 * i - 0.5 for i in range(21)]
    plain = explore._grid_forward(net, px, py)
    fast = explore._grid_forward(net, px, py, numpy)
    want = [forward(net, [a, b]).a[-1][0] for a, b in zip(px, py)]
    assert plain[0] == pytest.approx(want, rel=1e-12, abs=1e-12)
    assert fast[0] == pytest.approx(want, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("record", "error", "words"), [
    (123, TypeError, "record must be None, a path"),
    ("run.txt", ValueError, "must end in .html"),
    ("missing-folder/run.html", FileNotFoundError, "does not exist"),
    (".", ValueError, "must end in .html"),
    ("adir.html", ValueError, "is a folder"),
])
def test_bad_record_values_are_refused_before_training(tmp_path, monkeypatch, record, error, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir.html").mkdir()
    X, y = _data()
    model = nn.MLP(2, [4, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(error, match=re.escape(words)):
        nn.fit(model, X, y, "hinge", nn.SGD(model.parameters(), lr=0.1), 2, progress=False, record=record)
    assert [p.data for p in model.parameters()] == before  # no step ran
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir.html"]  # nothing written


def test_bad_recorder_arguments():
    with pytest.raises(ValueError, match="max_frames must be an int >= 2"):
        explore.Recorder(max_frames=1)
    with pytest.raises(ValueError, match="grid must be an int >= 2"):
        explore.Recorder(grid=True)
    with pytest.raises(TypeError, match="title must be a str"):
        explore.Recorder(title=None)
    X, y = _data()
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"example=99 but there are only 24"):
        nn.fit(model, X, y, "hinge", nn.SGD(model.parameters(), lr=0.1), 1, progress=False,
               record=explore.Recorder(example=99))
    with pytest.raises(RuntimeError, match="call start"):
        explore.Recorder().step(0, model.parameters())


def test_explorer_save_repr_and_notebook_frame(tmp_path):
    _, h = _train(explore.Recorder(grid=5), epochs=1)  # in memory only
    ex = h.explorer
    assert ex.steps == 6 and "6 steps, 6 frames" in repr(ex)
    out = ex.save(tmp_path / "again.html")
    assert out.read_text(encoding="utf-8") == ex.html()
    with pytest.raises(ValueError, match="must end in .html"):
        ex.save(tmp_path / "again.svg")
    frame = ex._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame


def test_moons_demo_page_is_at_most_5_mb(tmp_path):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    from demos import moons

    result = moons.main(["--quick", "--compile", "--record", "--out", str(tmp_path)])
    page = tmp_path / "run.html"
    assert str(page) in result["files"]
    size = page.stat().st_size
    data = _page_data(page.read_text(encoding="utf-8"))
    assert len(data["frames"]) == 100 and data["frames"][-1] == 99
    assert size <= 5_000_000, f"the moons explorer is {size / 1e6:.2f} MB"
    print(f"moons explorer: {size / 1e6:.2f} MB")


# ------------------------------------------------------------------------------------------ the page
def _page_data(text: str) -> dict:
    """The page's data: the meta block and the unpacked frames (deflated JSON in base64)."""
    blocks = dict(re.findall(r'<script type="application/json" id="(explore-\w+)">(.*?)</script>', text, re.S))
    data = json.loads(blocks["explore-meta"])
    data.update(json.loads(zlib.decompress(base64.b64decode(json.loads(blocks["explore-frames"])))))
    return data


def _open(browser, uri: str) -> None:
    """Load the page and wait until its frames are unpacked (the counter then reads "step ...")."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(uri)
    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.getElementById('position').textContent").startswith("step"))


_READ = """
var D = JSON.parse(document.getElementById("explore-meta").textContent);
var edge = document.querySelector("#diagram-box [data-weight]");
var cells = document.getElementById("plane-cells").children;
var fills = []; for (var i = 0; i < cells.length; i += 7) { fills.push(cells[i].getAttribute("fill")); }
var edgeLook = edge ? [edge.getAttribute("stroke"), edge.getAttribute("stroke-width"),
                       edge.getAttribute("stroke-opacity")].join("|") : null;
var texts = Array.prototype.map.call(document.querySelectorAll("#diagram-box text"), function (t) {
  return t.textContent; }).join("|");
return {scrub: document.getElementById("scrubber").value, position: document.getElementById("position").textContent,
        marker: [document.getElementById("loss-marker").getAttribute("cx"),
                 document.getElementById("loss-marker").getAttribute("cy")],
        fills: fills.join(";"), edge: edgeLook, texts: texts,
        boundary: (document.getElementById("plane-boundary") || {getAttribute: function () { return ""; }})
                  .getAttribute("d"), n: D.frames.length};
"""

_SET = """
var s = document.getElementById("scrubber"); s.value = String(arguments[0]);
s.dispatchEvent(new Event("input", {bubbles: true}));
"""

# every text on the page that is drawn: its rendered height in CSS px (SVG text after any scaling)
_TEXT_SIZES = """
var out = [];
document.querySelectorAll("svg text").forEach(function (t) {
  if (!t.textContent.trim()) { return; }
  var r = t.getBoundingClientRect(); if (r.width === 0) { return; }
  var m = t.getScreenCTM(); var scale = m ? Math.sqrt(m.a * m.a + m.b * m.b) : 1;
  out.push([t.textContent, parseFloat(getComputedStyle(t).fontSize) * scale]);
});
document.querySelectorAll("h1, h2, p, pre, span, button").forEach(function (e) {
  if (!e.textContent.trim() || e.closest("svg")) { return; }
  out.push([e.textContent.slice(0, 30), parseFloat(getComputedStyle(e).fontSize)]);
});
return out;
"""


@pytest.fixture(scope="module")
def small_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    page = folder / "run.html"
    _train(explore.Recorder(page, title="explorer test run"), epochs=5)
    return page


def _severe(browser) -> list:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _nonblank(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 20_000
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 50


def test_scrubber_play_and_weight_panel_in_chromium(browser, small_page, tmp_path):
    from selenium.webdriver.common.by import By

    _open(browser, small_page.as_uri())
    first = browser.execute_script(_READ)
    assert first["n"] == 30 and first["scrub"] == "0" and first["position"].startswith("step 1 of 30")
    assert first["edge"] is not None and first["boundary"]
    browser.save_screenshot(str(tmp_path / "explorer-step1.png"))
    _nonblank(tmp_path / "explorer-step1.png")

    browser.execute_script(_SET, 29)
    last = browser.execute_script(_READ)
    assert last["position"].startswith("step 30 of 30")
    assert last["marker"] != first["marker"]
    assert last["fills"] != first["fills"] and last["boundary"] != first["boundary"]
    assert last["texts"] != first["texts"]  # the neurons' and weights' numbers
    assert last["edge"] != first["edge"]  # an edge's stroke: the weight changed
    browser.save_screenshot(str(tmp_path / "explorer-step30.png"))

    # clicking a weight shows its delta-rule computation at the shown step, and follows the scrubber
    edge = browser.find_element(By.CSS_SELECTOR, "#diagram-box [data-weight]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", edge)
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}));", edge)
    title = browser.find_element(By.ID, "weight-title").text
    at_last = browser.find_element(By.ID, "weight-text").text
    assert "at step 30" in title and "δ" in at_last and re.search(r"\d\.\d", at_last)
    browser.execute_script(_SET, 0)
    assert "at step 1" in browser.find_element(By.ID, "weight-title").text
    assert browser.find_element(By.ID, "weight-text").text != at_last
    assert re.search(r"gradient .*: -?\d", browser.find_element(By.ID, "weight-grad").text)
    browser.save_screenshot(str(tmp_path / "explorer-weight.png"))

    # play advances the frames by itself
    browser.find_element(By.ID, "play").click()
    browser.implicitly_wait(0)
    import time

    time.sleep(1.2)
    assert int(browser.execute_script(_READ)["scrub"]) >= 2
    browser.find_element(By.ID, "play").click()  # pause

    sizes = browser.execute_script(_TEXT_SIZES)
    small = [(t, s) for t, s in sizes if s < 10]
    assert sizes and not small, small[:5]
    # nothing was fetched: no resource entries at all, and no console error (CSP, script)
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert _severe(browser) == []


def test_the_page_works_inside_a_notebook_iframe(browser, small_page, tmp_path):
    from selenium.webdriver.common.by import By

    host = tmp_path / "notebook.html"
    host.write_text("<!DOCTYPE html><html><body>" + notebook_frame(small_page.read_text(encoding="utf-8"),
                                                                    height=900) + "</body></html>",
                    encoding="utf-8")
    browser.get(host.as_uri())
    browser.switch_to.frame(browser.find_element(By.TAG_NAME, "iframe"))
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(
        lambda d: d.execute_script("return document.getElementById('position').textContent").startswith("step"))
    first = browser.execute_script(_READ)
    browser.execute_script(_SET, 10)
    later = browser.execute_script(_READ)
    assert later["position"].startswith("step 11 of 30") and later["fills"] != first["fills"]
    browser.switch_to.default_content()
    browser.save_screenshot(str(tmp_path / "explorer-iframe.png"))
    assert _severe(browser) == []

    # a model with one input has no decision boundary; the page still plays, and #step=N opens step N
    X1 = [[x / 4] for x in range(-8, 9)]
    y1 = [[0.5 + 0.4 * math.sin(x[0])] for x in X1]
    net = nn.MLP(1, [2, 2, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    one = tmp_path / "one-input.html"
    nn.fit(net, X1, y1, "half_mse", nn.SGD(net.parameters(), lr=0.5), 6, progress=False, record=one)
    _open(browser, one.as_uri() + "#step=4")
    assert browser.execute_script("return document.getElementById('position').textContent").startswith("step 4 of 6")
    browser.execute_script(_SET, 5)
    assert browser.execute_script("return location.hash") == "#step=6"
    assert _severe(browser) == []


def test_hostile_strings_never_inject_markup(browser, tmp_path):
    hostile = '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">&amp;'
    page = tmp_path / "hostile.html"

    def loss(out, target):  # a user's loss whose name is markup
        return nn.losses.hinge(out, target)

    loss.__name__ = hostile
    X, y = _data(8)
    model = nn.MLP(2, [3, 1], seed=0)
    nn.fit(model, X, y, loss, nn.SGD(model.parameters(), lr=0.1), 2, progress=False,
           record=explore.Recorder(page, title=hostile, grid=4))
    text = page.read_text(encoding="utf-8")
    assert "<img" not in text and "<script>window" not in text
    _open(browser, page.as_uri())
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.execute_script("return document.getElementById('title').textContent") == hostile
    assert browser.execute_script("return document.querySelectorAll('img').length") == 0
    assert browser.title == hostile
    assert _severe(browser) == []



def test_recorder_and_explorer_hold_no_reference_cycle():
    import gc
    import weakref

    gc.disable()
    try:
        rec = explore.Recorder(grid=3)
        _, h = _train(rec, epochs=1)
        refs = [weakref.ref(rec), weakref.ref(h.explorer), weakref.ref(h)]
        del rec, h
        assert [r() for r in refs] == [None, None, None]  # freed by reference counting alone
    finally:
        gc.enable()
