"""The training explorer: one self-contained HTML page that replays a real training run step by step.

``nn.train.fit(..., record="run.html")`` (or ``record=Recorder(...)``) records the run and writes the page when
``fit`` returns. The page has play/pause and a scrubber over the recorded steps, the loss curve with the current
step marked, the lectures' network diagram (:mod:`nn.diagram`) with that step's weights and one training example's
``z``, ``a`` and ``δ``, the decision boundary for models with two inputs, and, on clicking a weight (an edge of the
diagram), its delta-rule computation ``∂L/∂w[l]_jk = δ[l]_j a[l-1]_k`` at that step with the numbers put in, next
to the engine's gradient of the whole batch.

What is recorded, per step k (counted from 1 on the page): the parameters' values used by step k (before its
update) and their gradients after its backward pass (before clipping), read and never written, so a recorded run
is bit-identical to an unrecorded one. Long runs are subsampled to at most ``max_frames`` (+1) frames: every
``s``-th step with ``s`` a power of two that doubles whenever the frames would exceed the limit; the first and the
last completed step are always frames. The loss curve has every step (or, past 2000 steps, evenly spaced ones).

The decision boundary: the model's output on a ``grid`` x ``grid`` lattice over the training inputs' box (with a
margin), computed on floats by the same forward pass as :func:`nn.delta.forward`, and mapped to a score in [-1, 1]
per point: ``2p - 1`` for a probability output (binary cross-entropy), ``tanh(z/2) = 2σ(z) - 1`` for a logit,
the score clipped to [-1, 1] for the hinge loss, ``(out - mid)/half`` of the targets' range for the other losses;
with several outputs, the class ``argmax_i out_i``.

The page is built by :func:`autograd_core.page.standalone_page`: no network requests, scripts allowed by hash,
data in JSON blocks (never executed), every text set with ``textContent``. It works from ``file://`` and inside an
``iframe srcdoc`` (Jupyter: :class:`Explorer` shows inline through :func:`autograd_core.page.notebook_frame`).
"""

from __future__ import annotations

import base64
import copy
import json
import math
import numbers
import os
import zlib
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import Union

from autograd_core.files import atomic_write
from autograd_core.page import html_path, notebook_frame, standalone_page

from . import train
from .delta import SUPPORTED_LOSSES, G, network
from .diagram import diagram
from .losses import get_loss, loss_name
from .module import Module

__all__ = ["Recorder", "Explorer", "MAX_FRAMES", "GRID", "CURVE_POINTS"]

MAX_FRAMES = 150  # the default limit of recorded frames (the last step may add one)
GRID = 40  # the decision boundary's lattice: GRID x GRID points
CURVE_POINTS = 2000  # the loss curve keeps at most this many steps
_MAX_POINTS = 1000  # training points drawn on the decision boundary

# loss name -> the score in [-1, 1] of one output (decision at 0) for the decision boundary
_SCORES: dict = {
    "binary_cross_entropy": lambda o, mid, half: 2.0 * o - 1.0,
    "binary_cross_entropy_with_logits": lambda o, mid, half: math.tanh(0.5 * o) if o == o else o,
    "hinge": lambda o, mid, half: o,
}


def _target_score(o: float, mid: float, half: float) -> float:
    return (o - mid) / half


def _positive_int(where: str, name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{where}: {name} must be an int >= {low}, got {value!r:.80}")
    return int(value)


class Recorder:
    """Records a training run for the explorer; pass it as ``fit(..., record=Recorder(...))``.

    Args:
        path: None (keep the page in memory: ``history.explorer`` / :meth:`explorer`) or where to write it (must end
            in ``.html``; its folder must exist). Checked here, before any training.
        title: the page's heading (plain text).
        max_frames: at most this many recorded steps (+1 for the last step), >= 2.
        grid: the decision boundary's lattice is ``grid`` x ``grid`` (for models with two inputs), >= 2.
        example: the index of the training example whose ``z``, ``a`` and ``δ`` the diagram shows (default 0, the
            first).

    Used by :func:`nn.train.fit`: :meth:`start` before the first step, :meth:`step` after every backward pass,
    :meth:`finish` when fit returns. A training loop of one's own can call them the same way.
    """

    def __init__(self, path: Union[str, os.PathLike, None] = None, *, title: str = "Training run",
                 max_frames: int = MAX_FRAMES, grid: int = GRID, example: int = 0) -> None:
        where = "nn.explore.Recorder"
        self.path = None if path is None else html_path(path, where)
        if not isinstance(title, str):
            raise TypeError(f"{where}: title must be a str, got {type(title).__name__}")
        self.title = title
        self.max_frames = _positive_int(where, "max_frames", max_frames, 2)
        self.grid = _positive_int(where, "grid", grid, 2)
        self.example = _positive_int(where, "example", example, 0)
        self._run: dict | None = None
        self._explorer: Explorer | None = None

    # ------------------------------------------------------------------ the protocol fit calls
    def start(self, model: Module, X: Sequence, y: Sequence, loss: Union[str, Callable], *,
              reduction: str = "mean", l2: float = 0.0) -> None:
        """Begin a run: check that the page can show this model, data and loss; copy the model for later.

        Raises TypeError for a model without dense layers (the diagram needs an MLP, Layer or Neuron) and
        ValueError for an ``example`` index outside the data. Nothing of the model is changed.
        """
        where = "nn.explore.Recorder.start"
        if not isinstance(model, Module):
            raise TypeError(f"{where}: model must be an nn.Module, got {type(model).__name__}")
        model.dense_layers()  # TypeError naming the model when the diagram cannot draw it
        if self.example >= len(X):
            raise ValueError(f"{where}: example={self.example} but there are only {len(X)} training examples; "
                             f"pick an index from 0 to {len(X) - 1}")
        get_loss(loss)  # ValueError for an unknown loss name
        self._run = {"model": copy.deepcopy(model), "X": X, "y": y, "loss": loss, "reduction": reduction,
                     "l2": l2, "stride": 1, "frames": [], "last": None, "previous": None}

    def step(self, index: int, params: Sequence) -> None:
        """Record step ``index`` (from 0): the parameters' ``.data`` and ``.grad`` as they are now (read only)."""
        run = self._run
        if run is None:
            raise RuntimeError("nn.explore.Recorder.step: call start(...) first (fit does)")
        snap = (index, [p.data for p in params], [0.0 if p.grad is None else p.grad for p in params])
        run["previous"], run["last"] = run["last"], snap
        if index % run["stride"] == 0:
            run["frames"].append(snap)
            if len(run["frames"]) > self.max_frames:
                run["stride"] *= 2
                run["frames"] = [s for s in run["frames"] if s[0] % run["stride"] == 0]

    def finish(self, history: train.History) -> Explorer | None:
        """End the run: build the :class:`Explorer` from the completed steps and write it to ``path`` (atomically).

        Returns the explorer (None when no step completed: nothing is written then).
        """
        run, self._run = self._run, None
        if run is None:
            raise RuntimeError("nn.explore.Recorder.finish: no run was started")
        done = history.steps
        frames = [s for s in run["frames"] if s[0] < done]
        last = run["last"] if run["last"] is not None and run["last"][0] < done else run["previous"]
        if last is not None and last[0] < done and (not frames or frames[-1][0] != last[0]):
            frames.append(last)
        if not frames:
            self._explorer = None
            return None
        explorer = Explorer(_build_page(self, run, frames, history), steps=done, frames=[s[0] for s in frames])
        if self.path is not None:
            explorer.save(self.path)
        self._explorer = explorer
        return explorer

    def explorer(self) -> Explorer | None:
        """The :class:`Explorer` of the last finished run (None before any)."""
        return self._explorer


def _make_recorder(path: Union[str, os.PathLike], where: str = "fit") -> Recorder:
    """What ``fit(record=path)`` uses: a :class:`Recorder` for ``path``, checked with the caller's name."""
    html_path(path, where)
    return Recorder(path)


train.RECORDERS["html"] = _make_recorder


class Explorer:
    """A finished training explorer: :meth:`html` (the page), :meth:`save`, and inline display in Jupyter.

    Attributes: ``steps`` (completed steps of the run), ``frames`` (the recorded step indices, from 0).
    """

    def __init__(self, page: str, *, steps: int, frames: list) -> None:
        self._page = page
        self.steps = steps
        self.frames = list(frames)

    def html(self) -> str:
        """The whole page as text (self-contained HTML)."""
        return self._page

    def save(self, path: Union[str, os.PathLike]) -> Path:
        """Write the page to ``path`` (ending in ``.html``, in an existing folder) atomically; return the path."""
        return atomic_write(html_path(path, "Explorer.save"), self._page)

    def _repr_html_(self) -> str:
        return notebook_frame(self._page, height=980, title="training explorer")

    def __repr__(self) -> str:
        return (f"<training explorer: {self.steps} steps, {len(self.frames)} frames, "
                f"{len(self._page.encode('utf-8')) / 1e6:.2f} MB>")


# ---------------------------------------------------------------------------------------------------------------
# numbers for the page
# ---------------------------------------------------------------------------------------------------------------
def _round(x: float, digits: int = 4) -> float | None:
    """``x`` to ``digits`` significant digits for the page (None for nan/inf: JSON has no spelling for them)."""
    if x != x or x in (math.inf, -math.inf):
        return None
    return float(f"{x:.{digits}g}")


def _nice_ticks(lo: float, hi: float, count: int = 5, cover: bool = False) -> list:
    """About ``count`` round numbers (1, 2 or 5 times a power of ten apart) inside [lo, hi] (``cover``: the first
    and last reach past lo and hi, for an axis that extends to them)."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)
    first = (math.floor if cover else math.ceil)(lo / step - (-1e-9 if cover else 1e-9)) * step
    last = (math.ceil(hi / step - 1e-9) if cover else math.floor(hi / step + 1e-9)) * step
    return [round(first + i * step, 12) for i in range(int(round((last - first) / step)) + 1)]


def _fmt_tick(t: float) -> str:
    return f"{t:.4g}"


def _grid_forward(net, points_x: list, points_y: list, numpy: object = None) -> list:
    """The model's outputs on floats for every point, one list per output neuron: ``z = W a + b``, ``a = g(z)`` per
    layer, as :func:`nn.delta.forward` computes them (with numpy, when given, for the ``W a`` products)."""
    cols = [points_x, points_y]
    n = len(points_x)
    for li in range(1, net.depth + 1):
        act = net.activation[li]
        if numpy is not None:
            z = (numpy.asarray(net.W[li], dtype=float) @ numpy.asarray(cols, dtype=float)
                 + numpy.asarray(net.b[li], dtype=float)[:, None]).tolist()
        else:
            z = []
            for row, bj in zip(net.W[li], net.b[li]):
                zj = [bj] * n
                for w, col in zip(row, cols):
                    zj = [s + w * a for s, a in zip(zj, col)]
                z.append(zj)
        # softmax keeps the order of its inputs: the argmax (all the page needs) is that of z
        cols = z if act == "softmax" else [list(map(G[act], zj)) for zj in z]
    return cols


def _numpy() -> object:
    """numpy when installed (the grid's products are then ~20x faster), else None: plain Python does the same."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _grid_values(net, box: tuple, size: int, score: Callable | None, mid: float, half: float) -> list:
    """The decision boundary of one frame: ``size``² ints, row 0 at the top (largest x2): 100·score or the class."""
    x0, x1, y0, y1 = box
    xs = [x0 + (x1 - x0) * (i + 0.5) / size for i in range(size)]
    ys = [y1 - (y1 - y0) * (j + 0.5) / size for j in range(size)]
    px = [x for _ in ys for x in xs]
    py = [y for y in ys for _ in xs]
    outs = _grid_forward(net, px, py, _numpy())
    if score is None:  # several outputs: the class
        return [max(range(len(outs)), key=lambda c: outs[c][i]) for i in range(len(px))]
    values = []
    for o in outs[0]:
        s = score(o, mid, half)
        values.append(0 if s != s else int(round(100.0 * max(-1.0, min(1.0, s)))))
    return values


def _packed(payload: object) -> str:
    """``payload`` as JSON, deflated (zlib) and base64-encoded: the frames repeat their wording from step to step,
    so the page unpacks them in the browser (``DecompressionStream``) instead of carrying every copy."""
    text = json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


# ---------------------------------------------------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------------------------------------------------
_CURVE = {"w": 460, "h": 230, "left": 58, "right": 14, "top": 14, "bottom": 40}
_PLANE = 400  # the decision boundary's side in px


def _loss_curve_svg(losses: list) -> tuple:
    """The loss curve as SVG markup (steps 1..N on x) and the mapping the page uses to place its marker."""
    c = _CURVE
    n = len(losses)
    stride = max(1, -(-n // CURVE_POINTS))
    shown = [(k, v) for k, v in enumerate(losses) if (k % stride == 0 or k == n - 1) and math.isfinite(v)]
    lo = min(0.0, min(v for _, v in shown))
    hi = max(v for _, v in shown)
    ticks = _nice_ticks(lo, hi if hi > lo else lo + 1.0, cover=True)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    pw, ph = c["w"] - c["left"] - c["right"], c["h"] - c["top"] - c["bottom"]

    def sx(k: float) -> float:
        return c["left"] + (pw * k / (n - 1) if n > 1 else pw / 2)

    def sy(v: float) -> float:
        return c["top"] + ph * (1.0 - (v - lo) / (hi - lo))

    parts = [f'<svg id="loss-svg" width="{c["w"]}" height="{c["h"]}" viewBox="0 0 {c["w"]} {c["h"]}" '
             'role="img" aria-label="loss per step">']
    for t in ticks:
        y = sy(t)
        parts.append(f'<line x1="{c["left"]}" x2="{c["left"] + pw}" y1="{y:.1f}" y2="{y:.1f}" class="gridline"/>')
        parts.append(f'<text x="{c["left"] - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt_tick(t))}</text>')
    for t in _nice_ticks(1, max(n, 2), 6):
        if 1 <= t <= n and t == int(t):
            x = sx(t - 1)
            parts.append(f'<text x="{x:.1f}" y="{c["top"] + ph + 16}" text-anchor="middle">{int(t)}</text>')
    parts.append(f'<text x="{c["left"] + pw / 2:.1f}" y="{c["h"] - 4}" text-anchor="middle">step</text>')
    parts.append(f'<rect x="{c["left"]}" y="{c["top"]}" width="{pw}" height="{ph}" class="frame"/>')
    points = " ".join(f"{sx(k):.1f},{sy(v):.1f}" for k, v in shown)
    parts.append(f'<polyline points="{points}" class="curve"/>')
    parts.append(f'<line id="loss-cursor" x1="0" x2="0" y1="{c["top"]}" y2="{c["top"] + ph}" class="cursor"/>')
    parts.append('<circle id="loss-marker" cx="0" cy="0" r="5" class="marker"/>')
    parts.append("</svg>")
    mapping = {"n": n, "left": c["left"], "width": pw, "top": c["top"], "height": ph, "lo": lo, "hi": hi}
    return "".join(parts), mapping


def _plane_svg(size: int, box: tuple, points: list, binary: bool, example: tuple) -> str:
    """The decision boundary's fixed drawing: ``size``² cells (restyled per frame), the boundary path, the points."""
    cell = _PLANE / size
    x0, x1, y0, y1 = box
    pad_l, pad_b = 44, 34
    w, h = _PLANE + pad_l + 8, _PLANE + pad_b + 8
    parts = [f'<svg id="plane-svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
             'aria-label="decision boundary">', f'<g id="plane-cells" transform="translate({pad_l},8)" '
             'shape-rendering="crispEdges">']
    for j in range(size):
        for i in range(size):
            parts.append(f'<rect x="{i * cell:.2f}" y="{j * cell:.2f}" width="{cell + 0.05:.2f}" '
                         f'height="{cell + 0.05:.2f}"/>')
    parts.append("</g>")
    parts.append(f'<g transform="translate({pad_l},8)">')
    if binary:
        parts.append('<path id="plane-boundary" d="" class="boundary"/>')
    for px, py, cls in points:
        cx = (px - x0) / (x1 - x0) * _PLANE
        cy = (y1 - py) / (y1 - y0) * _PLANE
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" class="pt c{cls}"/>')
    ex_x = (example[0] - x0) / (x1 - x0) * _PLANE
    ex_y = (y1 - example[1]) / (y1 - y0) * _PLANE
    parts.append(f'<circle cx="{ex_x:.1f}" cy="{ex_y:.1f}" r="8" class="example"/>')
    parts.append(f'<text x="{ex_x + 10:.1f}" y="{ex_y - 8:.1f}" class="example-label">#{example[2] + 1}</text>')
    parts.append(f'<rect x="0" y="0" width="{_PLANE}" height="{_PLANE}" class="frame"/>')
    for t in _nice_ticks(x0, x1, 5):
        if x0 <= t <= x1:
            x = (t - x0) / (x1 - x0) * _PLANE
            parts.append(f'<text x="{x:.1f}" y="{_PLANE + 16}" text-anchor="middle">{escape(_fmt_tick(t))}</text>')
    for t in _nice_ticks(y0, y1, 5):
        if y0 <= t <= y1:
            y = (y1 - t) / (y1 - y0) * _PLANE
            parts.append(f'<text x="-6" y="{y + 4:.1f}" text-anchor="end">{escape(_fmt_tick(t))}</text>')
    parts.append(f'<text x="{_PLANE / 2}" y="{_PLANE + 31}" text-anchor="middle">x1 (first input)</text>')
    parts.append(f'<text transform="translate(-32,{_PLANE / 2}) rotate(-90)" text-anchor="middle">x2 (second input)'
                 "</text>")
    parts.append("</g></svg>")
    return "".join(parts)


def _point_class(t: object, binary: bool, mid: float) -> int:
    if binary:
        v = t[0] if isinstance(t, (list, tuple)) else t
        return 1 if float(v) > mid else 0
    if isinstance(t, (list, tuple)):  # one-hot or probabilities
        return max(range(len(t)), key=lambda i: t[i])
    return int(t)


def _build_page(rec: Recorder, run: dict, frames: list, history: train.History) -> str:
    model, X, y, loss = run["model"], run["X"], run["y"], run["loss"]
    reduction = run["reduction"]
    params = model.parameters()
    layers = model.dense_layers()
    n_in, n_out = len(layers[0].W[0]), len(layers[-1].W)
    name = loss if isinstance(loss, str) else loss_name(get_loss(loss))
    loss_label = name if name is not None else getattr(loss, "__name__", type(loss).__name__)
    with_delta = name in SUPPORTED_LOSSES  # the delta rule (and so the diagram's δ and ∂L/∂w) knows this loss

    # the decision boundary (two inputs only)
    plane = None
    if n_in == 2:
        xs = [float(p[0]) for p in X]
        ys = [float(p[1]) for p in X]
        mx, my = 0.15 * ((max(xs) - min(xs)) or 1.0), 0.15 * ((max(ys) - min(ys)) or 1.0)
        box = (min(xs) - mx, max(xs) + mx, min(ys) - my, max(ys) + my)
        binary = n_out == 1
        mid, half, score = 0.0, 1.0, None
        if binary:
            targets = [float(t[0] if isinstance(t, (list, tuple)) else t) for t in y]
            mid = 0.5 * (min(targets) + max(targets))
            half = 0.5 * (max(targets) - min(targets)) or 1.0
            score = _SCORES.get(name, _target_score)
        stride = max(1, -(-len(X) // _MAX_POINTS))
        points = [(float(X[i][0]), float(X[i][1]), _point_class(y[i], binary, mid))
                  for i in range(0, len(X), stride)]
        example = (float(X[rec.example][0]), float(X[rec.example][1]), rec.example)
        plane = {"svg": _plane_svg(rec.grid, box, points, binary, example), "box": box, "binary": binary,
                 "score": score, "mid": mid, "half": half}

    # per frame: the diagram's state, every weight's delta-rule text, value and batch gradient, the boundary
    ex = rec.example
    x_ex, t_ex = X[ex], y[ex]
    weight_ids = [(li, j, k) for li, d in enumerate(layers, start=1) for j, row in enumerate(d.W)
                  for k in range(len(row))]
    index = {id(v): i for i, v in enumerate(params)}
    weight_param = [index[id(layers[li - 1].W[j][k])] for li, j, k in weight_ids]
    keys: dict = {}
    svg = None
    packed: dict = {"state": [], "text": [], "w": [], "grad": [], "cells": []}
    for _, data, grad in frames:
        for p, v in zip(params, data):
            p.data = v
        d = diagram(model, x_ex, t_ex, loss, reduction=reduction) if with_delta else diagram(model, x_ex)
        if svg is None:
            svg = d.svg()
        row: list = [None] * len(keys)
        for el, attrs in d.state().items():
            for attr, value in attrs.items():
                k = keys.setdefault((el, attr), len(keys))
                if k == len(row):
                    row.append(None)
                row[k] = value
        packed["state"].append(row)
        packed["text"].append([d.weight_text(li, j, k) for li, j, k in weight_ids] if with_delta else [])
        packed["w"].append([_round(data[i], 6) for i in weight_param])
        packed["grad"].append([_round(grad[i], 6) for i in weight_param])
        if plane is not None:
            packed["cells"].append(_grid_values(network(model), plane["box"], rec.grid, plane["score"],
                                                plane["mid"], plane["half"]))

    curve_svg, curve_map = _loss_curve_svg(history.step_loss)
    steps = [s[0] for s in frames]
    meta = {
        "title": rec.title,
        "example": ex,
        "steps": history.steps,
        "frames": steps,
        "loss": [_round(history.step_loss[k], 6) for k in steps],
        "curveLoss": [_round(history.step_loss[k], 12) for k in steps],
        "lr": [None if history.lr[k] is None else _round(history.lr[k], 4) for k in steps],
        "curve": curve_map,
        "keys": [list(k) for k in keys],
        "weights": [list(w) for w in weight_ids],
        "delta": with_delta,
        "plane": None if plane is None else {"size": rec.grid, "binary": plane["binary"]},
    }
    body = _body(rec, model, loss_label, reduction, history, svg, curve_svg, plane, x_ex, t_ex, len(X), with_delta)
    return standalone_page(title=rec.title, body=body, style=_STYLE, scripts=[_SCRIPT],
                           data={"explore-meta": meta, "explore-frames": _packed(packed)})


def _describe_model(model: Module) -> str:
    layers = model.dense_layers()
    sizes = [len(layers[0].W[0])] + [len(d.W) for d in layers]
    acts = ", ".join(dict.fromkeys(d.activation for d in layers))
    return f"{type(model).__name__} {' → '.join(map(str, sizes))} ({acts}), {model.num_parameters()} parameters"


def _fmt_target(t: object) -> str:
    if isinstance(t, (list, tuple)):
        return "(" + ", ".join(f"{float(v):.4g}" for v in t) + ")"
    return f"{float(t):.4g}" if isinstance(t, numbers.Real) else str(t)


def _body(rec: Recorder, model: Module, loss_label: str, reduction: str, history: train.History, svg: str,
          curve_svg: str, plane: dict | None, x_ex: Sequence, t_ex: object, n: int, with_delta: bool) -> str:
    e = escape
    x_text = "(" + ", ".join(f"{float(v):.4g}" for v in x_ex) + ")"
    stop = " · stopped early" if history.stopped_early else (" · interrupted" if history.interrupted else "")
    plane_html = ""
    if plane is not None:
        legend = ('<span class="entry"><span class="sw neg"></span>model says −1 / class 0</span> '
                  '<span class="entry"><span class="sw pos"></span>model says +1 / class 1</span> '
                  '<span class="entry"><span class="line"></span>decision boundary</span><br>' if plane["binary"] else
                  "Colour: the class with the largest output. ")
        plane_html = (f'<section class="panel"><h2>Decision boundary at this step</h2>{plane["svg"]}'
                      f'<p class="note">{legend}Background: the model\'s output on a {rec.grid}×{rec.grid} grid '
                      "(paler = less sure); dots: the training points, coloured by their target; ringed: the example "
                      "the network diagram shows.</p></section>")
    example = (f"training example #{rec.example + 1} of {n}: x = {e(x_text)}, target {e(_fmt_target(t_ex))}")
    hint = ("Click an edge (a weight w) to see its delta rule at this step." if with_delta else
            f"The delta rule is not available for the loss {e(loss_label)}, so the diagram shows the forward pass.")
    boundary_help = ("; the decision boundary shows what the network predicts everywhere in the input plane"
                     if plane is not None else "")
    click_help = ("<li>In the network below, click an edge: the bar at the top shows ∂L/∂w = δ·a for that weight "
                  "with this step's numbers, for one training example, and the gradient of the whole step.</li>"
                  if with_delta else "")
    return f"""<header><h1 id="title">{e(rec.title)}</h1>
<p class="sub">{e(_describe_model(model))} · loss {e(loss_label)} (reduction {e(reduction)}) · {n} examples ·
{history.steps} steps{e(stop)}</p></header>
<div id="bar"><nav><button id="play" type="button">▶ Play</button>
<button id="prev" type="button" aria-label="previous recorded step">◀ Prev</button>
<input id="scrubber" type="range" min="0" max="0" value="0" step="1" aria-label="recorded step">
<button id="next" type="button" aria-label="next recorded step">Next ▶</button>
<span id="position" aria-live="polite">unpacking the recorded steps…</span></nav>
<div id="weight-panel"><span id="weight-title">{hint}</span>
<pre id="weight-text"></pre><div id="weight-grad"></div></div></div>
<main><div class="row"><div class="stack">
<section class="panel"><h2>Loss per step</h2>{curve_svg}
<p class="note">The orange dot marks the step shown everywhere on this page.<br>
Each frame shows the weights used by that step, before its update.</p></section>
<section class="panel help"><h2>How to read this page</h2><ol>
<li>Press <b>Play</b>, drag the slider, or use the ← → keys: every panel shows the same training step.</li>
<li>One step: forward pass of the batch, loss L, backward pass (the δs, layer by layer from the output), then
every weight moves against its gradient (plain SGD: w ← w − η ∂L/∂w).</li>
<li>The loss curve says how well each step did{boundary_help}.</li>
{click_help}</ol></section></div>
{plane_html}</div>
<section class="panel"><h2>The network at this step</h2>
<p class="note">Edges are the weights w (red: w &gt; 0, blue: w &lt; 0, wider: larger |w|). The neurons' z, a and δ
are for {example}. {hint}</p>
<div class="scroll" id="diagram-box">{svg}</div></section>
</main>"""


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0 1.2rem .8rem;color:#1b1b1b;
font-size:15px}
header{padding-top:.6rem}
h1{font-size:1.35rem;margin:0 0 .2rem}
h2{font-size:1.02rem;margin:0 0 .4rem}
.sub{margin:0 0 .4rem;color:#444}
#bar{position:sticky;top:0;background:#fff;z-index:2;border-bottom:1px solid #ddd;padding:.3rem 0 .4rem;
margin-bottom:.7rem}
nav{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap}
nav button{font-size:1rem;padding:.3rem .8rem}
#play{min-width:6.5rem}
#scrubber{flex:1 1 18rem;min-width:10rem}
#position{font-variant-numeric:tabular-nums;min-width:24rem;font-size:1rem}
#weight-panel{margin-top:.35rem;font-size:14px;min-height:3.2em}
#weight-title{font-weight:600}
#weight-text{display:inline;margin:0 0 0 .6rem;font-size:14px;color:#4a148c;white-space:pre-wrap;
font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
#weight-grad{color:#333;margin-top:.15rem}
main{display:flex;flex-direction:column;gap:1rem}
.row{display:flex;gap:1rem;flex-wrap:wrap;align-items:flex-start}
.panel{border:1px solid #e1e4e8;border-radius:6px;padding:.6rem .8rem;background:#fff}
.row .panel{flex:0 1 auto;max-width:34rem}
.stack{display:flex;flex-direction:column;gap:1rem;max-width:34rem}
.help{font-size:14px}
.help ol{margin:.2rem 0;padding-left:1.2rem}
.help li{margin-bottom:.35rem}
.scroll{overflow:auto}
.note{font-size:14px;color:#444;margin:.3rem 0;max-width:62rem}
#loss-svg text,#plane-svg text{font-size:12px;fill:#222;
font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}
.gridline{stroke:#e6e6e6}
.frame{fill:none;stroke:#999}
.curve{fill:none;stroke:#1f5fa8;stroke-width:1.8}
.cursor{stroke:#d9480f;stroke-width:1;stroke-dasharray:3 3}
.marker{fill:#d9480f;stroke:#fff;stroke-width:1.5}
.boundary{fill:none;stroke:#111;stroke-width:2}
.example{fill:none;stroke:#f08c00;stroke-width:2.5}
#plane-svg .example-label{font-weight:700;fill:#b35806}
.pt{stroke:#fff;stroke-width:1.2}
.pt.c0{fill:#08519c}.pt.c1{fill:#a50f15}.pt.c2{fill:#1b7837}.pt.c3{fill:#762a83}.pt.c4{fill:#b35806}
.pt.c5{fill:#01665e}.pt.c6{fill:#8c510a}.pt.c7{fill:#c51b7d}.pt.c8{fill:#4d4d4d}.pt.c9{fill:#35978f}
.entry{white-space:nowrap;margin-right:.8rem}
.sw{display:inline-block;width:.9em;height:.9em;border:1px solid #777;vertical-align:-.1em;margin-right:.25em}
.sw.neg{background:#9ecae1}.sw.pos{background:#fcbba1}
.line{display:inline-block;width:1.4em;border-top:2px solid #111;vertical-align:.3em;margin-right:.25em}
#diagram-box [data-weight]{cursor:pointer}
#diagram-box .selected-edge{stroke:#f08c00;stroke-opacity:1;filter:drop-shadow(0 0 2px #f08c00)}
""".strip()


_SCRIPT = r"""
(function () {
  "use strict";
  var M = JSON.parse(document.getElementById("explore-meta").textContent);
  var n = M.frames.length;
  var scrub = document.getElementById("scrubber");
  var position = document.getElementById("position");
  var playBtn = document.getElementById("play");
  var cursor = document.getElementById("loss-cursor");
  var marker = document.getElementById("loss-marker");
  var box = document.getElementById("diagram-box");
  var F = null, current = 0, timer = null, selected = null, selectedEl = null;

  // the diagram: one fixed drawing, restyled per frame from its state: (element id, attribute) -> value
  var SAFE_ATTR = /^(?!on)(?!href)(?!xlink)(?!style)[a-zA-Z][a-zA-Z0-9-]*$/;
  var targets = M.keys.map(function (k) {
    var el = document.getElementById(k[0]);
    if (!el || !box.contains(el)) { return null; }
    if (k[1] !== "text" && !SAFE_ATTR.test(k[1])) { return null; }
    return [el, k[1]];
  });
  function showDiagram(f) {
    var row = F.state[f];
    for (var i = 0; i < targets.length; i++) {
      var t = targets[i], v = row[i];
      if (!t || v === null || v === undefined) { continue; }
      if (t[1] === "text") { t[0].textContent = v; } else { t[0].setAttribute(t[1], String(v)); }
    }
  }

  // the weights: the diagram's edge e-l{l}-j{j}-k{k} is w^l_jk
  var byElement = new Map();
  var SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹", SUB = "₀₁₂₃₄₅₆₇₈₉";
  function digits(v, table) { return String(v).split("").map(function (c) { return table[+c]; }).join(""); }
  function markWeights() {
    var where = {};
    M.weights.forEach(function (lij, w) { where["e-l" + lij[0] + "-j" + lij[1] + "-k" + lij[2]] = w; });
    var els = box.querySelectorAll("[id^='e-l']");
    for (var i = 0; i < els.length; i++) {
      var w = where[els[i].id];
      if (w !== undefined) { els[i].setAttribute("data-weight", String(w)); byElement.set(els[i], w); }
    }
  }
  function showWeight(f) {
    if (selected === null) { return; }
    var lij = M.weights[selected];
    var name = "w" + digits(lij[0], SUP) + digits(lij[1], SUB) + (lij[1] > 9 || lij[2] > 9 ? "," : "") +
      digits(lij[2], SUB);
    var w = F.w[f][selected], g = F.grad[f][selected];
    document.getElementById("weight-title").textContent = name + " at step " + (M.frames[f] + 1) + " = " +
      (w === null ? "not finite" : w) + ";  delta rule for example #" + (M.example + 1) + ":";
    document.getElementById("weight-text").textContent = M.delta ? F.text[f][selected] : "(not available)";
    document.getElementById("weight-grad").textContent = "The step's gradient of " + name + " (engine, mean " +
      "over the batch, plus any L2 term): " + (g === null ? "not finite" : g) + ". The update uses this one.";
  }
  box.addEventListener("click", function (ev) {
    var el = ev.target;
    while (el && el !== box && !byElement.has(el)) { el = el.parentNode; }
    if (!el || el === box || F === null) { return; }
    if (selectedEl) { selectedEl.classList.remove("selected-edge"); }
    selected = byElement.get(el); selectedEl = el;
    el.classList.add("selected-edge");
    showWeight(current);
  });

  // the decision boundary: fixed cells, a fill per frame; the boundary (score 0) by marching squares
  var P = M.plane, cells = null, boundary = document.getElementById("plane-boundary");
  var CLASS_FILL = ["#9ecae1", "#fcbba1", "#a1d99b", "#cbc9e2", "#fdd0a2", "#99d8c9", "#dfc27d", "#f1b6da",
                    "#d9d9d9", "#80cdc1"];
  function mix(a, b, t) {
    return "rgb(" + Math.round(a[0] + (b[0] - a[0]) * t) + "," + Math.round(a[1] + (b[1] - a[1]) * t) + "," +
      Math.round(a[2] + (b[2] - a[2]) * t) + ")";
  }
  // pale at the boundary, at most the legend's colours far from it, so the dots stay visible on top
  var NEG = [158, 202, 225], POS = [252, 187, 161], WHITE = [255, 255, 255], SCORE_FILL = {};
  for (var s = -100; s <= 100; s++) {
    SCORE_FILL[s] = s === 0 ? "rgb(255,255,255)" : mix(WHITE, s < 0 ? NEG : POS, 0.2 + 0.8 * Math.abs(s) / 100);
  }
  if (P) { cells = document.getElementById("plane-cells").children; }
  function contour(vals, size) {
    var cell = 400 / size, d = [];
    function v(i, j) { return vals[j * size + i]; }
    function at(i0, j0, i1, j1) {
      var a = v(i0, j0), b = v(i1, j1), t = a === b ? 0.5 : a / (a - b);
      return ((i0 + (i1 - i0) * t + 0.5) * cell).toFixed(1) + "," + ((j0 + (j1 - j0) * t + 0.5) * cell).toFixed(1);
    }
    for (var j = 0; j + 1 < size; j++) {
      for (var i = 0; i + 1 < size; i++) {
        var c = [v(i, j) > 0, v(i + 1, j) > 0, v(i + 1, j + 1) > 0, v(i, j + 1) > 0], pts = [];
        if (c[0] !== c[1]) { pts.push(at(i, j, i + 1, j)); }
        if (c[1] !== c[2]) { pts.push(at(i + 1, j, i + 1, j + 1)); }
        if (c[2] !== c[3]) { pts.push(at(i, j + 1, i + 1, j + 1)); }
        if (c[3] !== c[0]) { pts.push(at(i, j, i, j + 1)); }
        if (pts.length >= 2) { d.push("M" + pts[0] + "L" + pts[1]); }
        if (pts.length === 4) { d.push("M" + pts[2] + "L" + pts[3]); }
      }
    }
    return d.join("");
  }
  function showPlane(f) {
    if (!P) { return; }
    var vals = F.cells[f];
    for (var i = 0; i < cells.length; i++) {
      cells[i].setAttribute("fill", P.binary ? SCORE_FILL[vals[i]] : CLASS_FILL[vals[i] % CLASS_FILL.length]);
    }
    if (boundary) { boundary.setAttribute("d", contour(vals, P.size)); }
  }

  function showLoss(f) {
    var C = M.curve, k = M.frames[f], v = M.curveLoss[f];
    var x = C.left + (C.n > 1 ? C.width * k / (C.n - 1) : C.width / 2);
    var y = C.top + C.height * (1 - ((v === null ? C.hi : v) - C.lo) / (C.hi - C.lo));
    cursor.setAttribute("x1", x.toFixed(1)); cursor.setAttribute("x2", x.toFixed(1));
    marker.setAttribute("cx", x.toFixed(1)); marker.setAttribute("cy", y.toFixed(1));
  }

  function show(f) {
    current = Math.max(0, Math.min(n - 1, f));
    scrub.value = String(current);
    var lr = M.lr[current];
    position.textContent = "step " + (M.frames[current] + 1) + " of " + M.steps + "  ·  loss " +
      (M.loss[current] === null ? "not finite" : M.loss[current]) + (lr === null ? "" : "  ·  learning rate " + lr);
    showDiagram(current); showLoss(current); showPlane(current); showWeight(current);
    if (window.location.protocol !== "about:") {
      try { history.replaceState(null, "", "#step=" + (M.frames[current] + 1)); } catch (e) { /* file:// quirks */ }
    }
  }
  function stop() { if (timer !== null) { clearInterval(timer); timer = null; } playBtn.textContent = "▶ Play"; }
  function play() {
    if (current >= n - 1) { show(0); }
    playBtn.textContent = "❚❚ Pause";
    timer = setInterval(function () { if (current >= n - 1) { stop(); } else { show(current + 1); } }, 200);
  }
  function start() {
    scrub.max = String(n - 1);
    playBtn.addEventListener("click", function () { if (timer === null) { play(); } else { stop(); } });
    scrub.addEventListener("input", function () { stop(); show(parseInt(scrub.value, 10)); });
    document.getElementById("prev").addEventListener("click", function () { stop(); show(current - 1); });
    document.getElementById("next").addEventListener("click", function () { stop(); show(current + 1); });
    document.addEventListener("keydown", function (ev) {
      if (ev.target === scrub || ev.target.tagName === "BUTTON") { return; }
      if (ev.key === "ArrowRight") { stop(); show(current + 1); }
      else if (ev.key === "ArrowLeft") { stop(); show(current - 1); }
      else if (ev.key === " ") { ev.preventDefault(); if (timer === null) { play(); } else { stop(); } }
    });
    markWeights();
    var m = /(?:^#|&)step=(\d+)/.exec(window.location.hash), first = 0;
    if (m) {  // #step=N opens the recorded step nearest to step N
      var want = parseInt(m[1], 10) - 1, best = Infinity;
      M.frames.forEach(function (k, i) { if (Math.abs(k - want) < best) { best = Math.abs(k - want); first = i; } });
    }
    show(first);
  }

  // the frames travel deflated and base64-encoded; the browser unpacks them (no network involved)
  if (typeof DecompressionStream === "undefined") {
    position.textContent = "This browser cannot unpack the recorded steps (it lacks DecompressionStream: use a " +
      "current Chrome, Edge, Firefox or Safari).";
    return;
  }
  var raw = atob(JSON.parse(document.getElementById("explore-frames").textContent));
  var bytes = new Uint8Array(raw.length);
  for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"))).text()
    .then(function (text) { F = JSON.parse(text); start(); })
    .catch(function (err) { position.textContent = "Could not unpack the recorded steps: " + err; });
})();
"""
