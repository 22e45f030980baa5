"""The lectures' network diagram: layers as columns, neurons showing ``z``, ``a`` and ``δ``, edges ``w^l_jk``.

``diagram(model, x, target, loss)`` (or ``model.diagram(x, target, loss)``) draws one example's pass through an MLP,
Layer or Neuron the way notes 000 draw it, in the lectures' notation (``a[0] = x``, layers l = 1..L):

* forward: ``z^l = W^l a^{l-1} + b^l``, ``a^l = g(z^l)`` (each neuron shows ``z`` and ``a``);
* output layer: ``δ^L = ∂L/∂a^L ⊙ o'(z^L)``, or the cancelling forms such as ``δ^L = a^L - y`` (binary cross-entropy
  with a sigmoid output, categorical cross-entropy with a softmax output), divided by the N outputs for an
  elementwise loss with ``reduction="mean"``;
* hidden layers: ``δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ g'(z^l)``;
* gradients: ``∂L/∂W^l = δ^l (a^{l-1})ᵀ``, i.e. ``∂L/∂w^l_jk = δ^l_j a^{l-1}_k``, and ``∂L/∂b^l = δ^l``.

Every number comes from :mod:`nn.delta` (the hand-derived rule) and is checked against the engine
(``autograd_core.gradients`` of :func:`nn.train.batch_loss`, exactly what ``fit`` differentiates) when the diagram is
built: a disagreement raises :class:`DiagramMismatchError` naming the layer and the element, so a wrong number is
never drawn. Nothing is positioned by a layout engine: columns and rows are computed from the layer sizes alone.

Interface for other views (``nn.explore`` reads it; keep it stable):

* the geometry (:meth:`Diagram.svg` without its numbers) depends only on the layer sizes and on whether a target is
  given; every element whose look depends on the numbers has a stable id: ``n-l{l}-j{j}`` (neuron j of layer l,
  l = 0 for the inputs), ``e-l{l}-j{j}-k{k}`` (the edge of ``w^l_jk``), their tooltips ``<id>-tip``, and the texts
  ``t-z-``/``t-a-``/``t-d-``/``t-b-l{l}-j{j}`` (z, a, δ, bias of a neuron), ``t-w-``/``t-g-l{l}-j{j}-k{k}`` (an edge's
  weight and gradient), ``t-y-j{j}`` (targets) and ``t-loss``. Small layers show texts; big ones keep the numbers
  in tooltips only;
* :meth:`Diagram.state` maps each such id to ``{attribute: value, ..., "text": str}``: applying the state of another
  diagram of the same model (``setAttribute`` / ``textContent``) restyles a fixed drawing for another step;
* :meth:`Diagram.weight_text` is the delta-rule computation of one ``∂L/∂w^l_jk`` with its numbers;
* :meth:`Diagram.steps` is the backward step-through (:class:`DiagramStep`), highlighting by the CSS classes
  ``unit l{l}`` (neurons and their texts) and ``edge l{l}`` (edges and their labels).

The encoding, also drawn in the legend: an edge is orange-red for ``w > 0`` and blue for ``w < 0``, ``0.6 +
5.4·tanh|w|`` px wide; a neuron's fill is tinted by the sign and size of ``a``.
"""

from __future__ import annotations

import io
import math
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import NamedTuple, Union

import autograd_core as ag
from autograd_core import Value
from autograd_core.files import atomic_write
from autograd_core.page import notebook_frame, standalone_page

from . import delta as hand
from .losses import ELEMENTWISE_LOSSES, check_class_index, check_reduction, check_targets, get_loss, loss_name
from .losses import softmax as float_softmax
from .module import VIEWS, Module, check_input, describe
from .train import batch_loss

__all__ = ["diagram", "Diagram", "DiagramStep", "DiagramMismatchError", "DEFAULT_LOSS", "G_PRIME_TEXT",
           "CANCELLING_FORMS", "SAVE_SUFFIXES", "RTOL"]

# output activation -> the loss used when a target is given without one; any other output gets "mse"
DEFAULT_LOSS: dict = {"sigmoid": "binary_cross_entropy", "softmax": "categorical_cross_entropy"}

# g'(z) as the lectures write it, per activation (the numbers come from nn.delta.G_PRIME)
G_PRIME_TEXT: dict = {
    "linear": "1",
    "sigmoid": "a(1 − a)",
    "tanh": "1 − a²",
    "relu": "1 if z > 0 else 0",
    "leaky_relu": "1 if z > 0 else 0.01",
    "softplus": "σ(z)",
    "elu": "1 if z > 0 else eᶻ",
    "step": "0",
    "sin": "cos z",
    "cos": "−sin z",
    "abs": "sign z",
}

# (output activation, loss) -> how δ^L is written when o' cancels (the pairs of nn.delta.CANCELLING)
CANCELLING_FORMS: dict = {
    ("sigmoid", "binary_cross_entropy"): "a_minus_y",
    ("linear", "binary_cross_entropy_with_logits"): "sigmoid_z_minus_y",
    ("softmax", "categorical_cross_entropy"): "a_minus_y",
    ("softmax", "kl_divergence"): "a_minus_y",
    ("linear", "cross_entropy"): "softmax_z_minus_y",
}

SAVE_SUFFIXES = (".svg", ".html", ".png")
RTOL = 1e-9  # delta rule vs engine, relative to the layer's scale (float64 rounding is ~1e-16 per term)
_CLASS_LOSSES = ("cross_entropy", "categorical_cross_entropy")

_POS, _NEG, _ZERO = (214, 96, 77), (33, 102, 172), (150, 150, 150)
_INK, _GRAD_INK, _Z_INK = "#222222", "#6a1b9a", "#555555"
_MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
_SANS = "DejaVu Sans, Verdana, Arial, sans-serif"
_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class DiagramMismatchError(ArithmeticError):
    """The delta rule and the engine disagree on a number the diagram would show (a bug: please report it)."""


# ---------------------------------------------------------------------------------------------------------------
# notation and numbers
# ---------------------------------------------------------------------------------------------------------------
def _sup(n: int) -> str:
    return str(n).translate(_SUP)


def _sub(*idx: int) -> str:
    # w³₀₁ for w^3_01; a comma once an index has two digits (w³₁₀,₂)
    return ("" if all(i < 10 for i in idx) else "‚").join(str(i).translate(_SUB) for i in idx)


def _f(v: float, digits: int = 3) -> str:
    """A number as the drawing shows it: 3 significant digits, ``nan``/``inf`` spelled out, never ``-0``."""
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0.0:
        return "0"
    return f"{v:.{digits}g}"


def _p(v: float, digits: int = 4) -> str:
    """A factor in a product: negative numbers in parentheses."""
    s = _f(v, digits)
    return f"({s})" if s.startswith("-") else s


def _colour(v: float) -> tuple:
    if not math.isfinite(v) or v == 0.0:
        return _ZERO
    return _POS if v > 0 else _NEG


def _hex(rgb: tuple) -> str:
    r, g, b = (max(0, min(255, round(c))) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


def _tint(v: float) -> str:
    """A neuron's fill: white, tinted towards the sign's colour by up to 45% as |a| grows."""
    t = 0.45 * math.tanh(abs(v)) if math.isfinite(v) else 0.0
    return _hex(tuple(255 + (c - 255) * t for c in _colour(v)))


def _width(w: float) -> float:
    return round(0.6 + 5.4 * math.tanh(abs(w)), 2) if math.isfinite(w) else 0.6


def _take(entries: list, limit: int = 8, head: int = 6) -> list:
    return entries if len(entries) <= limit else entries[:head] + [f"… ({len(entries) - head} more)"]


# ---------------------------------------------------------------------------------------------------------------
# geometry: from the layer sizes only
# ---------------------------------------------------------------------------------------------------------------
class _Column(NamedTuple):
    x: float
    ys: list
    r: float
    full: bool  # texts inside the circles (small layers); otherwise tooltips only


class _Shape(NamedTuple):
    """One drawn element: static geometry and style; the number-dependent part lives in the state under ``id``."""

    tag: str  # line | circle | text
    id: str  # "" for decoration that never changes
    cls: str
    attrs: tuple  # ((name, value), ...) presentation attributes that depend only on the layer sizes
    text: str = ""
    tip: str = ""  # id of the <title> child (tooltip), "" for none


_FULL_MAX, _MEDIUM_MAX = 8, 24
_TITLE_Y, _LOSS_Y, _HEAD_Y, _WHEAD_Y, _TOP = 24, 46, 76, 96, 118
_LEFT, _RIGHT = 40, 150
_LABEL_HALF = 31  # half the width of an edge label ("-0.00123" at 12 px monospace)
_LABEL_PITCH = 30  # two stacked 12 px lines need 30 px between label centres
_BIAS_HALF = 66  # half the width of a neuron's bias line ("b -0.0123  ∂ -0.0456")
_LABELLED_GAP = 400.0


def _tier(n: int, inputs: bool) -> tuple:
    """(radius, row pitch, full) of a column of n circles."""
    if n <= _FULL_MAX:
        return (30.0 if inputs else 38.0), 130.0, True
    if n <= _MEDIUM_MAX:
        return 11.0, 32.0, False
    pitch = max(4.0, min(16.0, 760.0 / n))
    return max(1.5, round(0.38 * pitch, 2)), pitch, False


def _label_t(c0: _Column, c1: _Column, gap: float) -> Union[float, None]:
    """Where along the edges of a layer its labels sit (one t for all, so they stack evenly), or None if they
    would not fit: near the target at t = n_in/(n_in+1) or near the source at 1/(n_out+1) spaces them evenly."""
    if not (c0.full and c1.full) or len(c0.ys) * len(c1.ys) > 64:
        return None
    lo = (max(c0.r, c1.r, _BIAS_HALF) + _LABEL_HALF + 4) / gap  # clear of the circles and their bias lines
    best, best_t = -1.0, None
    for t in (len(c0.ys) / (len(c0.ys) + 1), 1.0 / (len(c1.ys) + 1)):
        t = min(max(t, lo), 1.0 - lo)
        ys = sorted((1 - t) * yk + t * yj for yj in c1.ys for yk in c0.ys)
        spacing = min((b - a for a, b in zip(ys, ys[1:])), default=math.inf)
        if spacing > best:
            best, best_t = spacing, t
    return best_t if best >= _LABEL_PITCH else None


class _Layout(NamedTuple):
    columns: list
    label_t: list  # per layer l (index 0 unused): t of its edge labels, or None
    width: float
    height: float
    legend_y: float


def _layout(sizes: tuple) -> _Layout:
    tiers = [_tier(n, li == 0) for li, n in enumerate(sizes)]
    extents = [(n - 1) * pitch + 2 * r + (34 if full else 0) for n, (r, pitch, full) in zip(sizes, tiers)]
    content = max(extents + [120.0])
    mid = _TOP + content / 2
    columns: list = []
    label_t: list = [None]
    x = _LEFT
    for li, (n, (r, pitch, full)) in enumerate(zip(sizes, tiers)):
        if li == 0:
            x += r
        else:
            x += 260.0
        shift = -17 if full else 0  # the bias line below each full circle
        column = _Column(x, [mid + shift + (j - (n - 1) / 2) * pitch for j in range(n)], r, full)
        if li:
            # edge labels need a wider gap: take it only where they then fit
            wide = column._replace(x=columns[-1].x + _LABELLED_GAP)
            t = _label_t(columns[-1], wide, _LABELLED_GAP)
            if t is not None:
                x, column = wide.x, wide
            label_t.append(t)
        columns.append(column)
    width = max(columns[-1].x + columns[-1].r + _RIGHT, 780.0)
    legend_y = _TOP + content + 30
    return _Layout(columns, label_t, round(width), round(legend_y + 3 * 20 + 12), legend_y)


def _text(tid: str, cls: str, x: float, y: float, *, anchor: str = "middle", size: int = 12, mono: bool = True,
          fill: str = _INK, bold: bool = False, halo: bool = False, text: str = "", tip: str = "") -> _Shape:
    attrs = [("x", round(x, 2)), ("y", round(y, 2)), ("text-anchor", anchor), ("font-size", size),
             ("font-family", _MONO if mono else _SANS), ("fill", fill)]
    if bold:
        attrs.append(("font-weight", "bold"))
    if halo:  # a white outline keeps labels readable where they cross edges
        attrs += [("stroke", "#ffffff"), ("stroke-width", 3), ("stroke-linejoin", "round"), ("paint-order", "stroke")]
    return _Shape("text", tid, cls, tuple(attrs), text, tip)


def _shapes(lay: _Layout, sizes: tuple, activations: tuple, name: str, title: str, has_target: bool) -> list:
    """Every element in drawing order (edges under circles under texts): depends on the sizes only."""
    cols, L = lay.columns, len(sizes) - 1
    edges, units, texts = [], [], []
    texts.append(_text("", "title", _LEFT, _TITLE_Y, anchor="start", size=15, mono=False, bold=True,
                       text=name + (f" — {title}" if title else "")))
    texts.append(_text("t-loss", "summary", _LEFT, _LOSS_Y, anchor="start", size=13, mono=False))
    for li, c in enumerate(cols):
        if li == 0:
            head = "inputs a⁰ = x"
        else:
            head = f"{'output ' if li == L else ''}layer {li}: {activations[li]}"
        texts.append(_text("", f"head l{li}", c.x, _HEAD_Y, size=13, mono=False, bold=True, text=head))
        if li:
            px = (cols[li - 1].x + c.x) / 2
            texts.append(_text("", f"head l{li}", px, _WHEAD_Y, size=13, mono=False, fill="#555555",
                               text=f"W{_sup(li)} ({sizes[li]}×{sizes[li - 1]}), b{_sup(li)}"))
    for li in range(1, L + 1):
        c0, c1, t = cols[li - 1], cols[li], lay.label_t[li]
        n_edges = len(c0.ys) * len(c1.ys)
        opacity = 0.9 if n_edges <= 64 else round(max(0.2, min(0.9, 8.0 / math.sqrt(n_edges))), 2)
        for j, yj in enumerate(c1.ys):
            for k, yk in enumerate(c0.ys):
                dx, dy = c1.x - c0.x, yj - yk
                d = math.hypot(dx, dy)
                ux, uy = dx / d, dy / d
                eid = f"e-l{li}-j{j}-k{k}"
                edges.append(_Shape("line", eid, f"edge l{li}", (
                    ("x1", round(c0.x + ux * c0.r, 2)), ("y1", round(yk + uy * c0.r, 2)),
                    ("x2", round(c1.x - ux * c1.r, 2)), ("y2", round(yj - uy * c1.r, 2)),
                    ("stroke-opacity", opacity), ("stroke-linecap", "round")), tip=eid + "-tip"))
                if t is not None:
                    lx, ly = c0.x + t * dx, yk + t * dy
                    texts.append(_text(f"t-w-l{li}-j{j}-k{k}", f"edge l{li} lbl", lx, ly - 3, halo=True))
                    texts.append(_text(f"t-g-l{li}-j{j}-k{k}", f"edge l{li} lbl", lx, ly + 12, halo=True,
                                       fill=_GRAD_INK))
    for li, c in enumerate(cols):
        for j, y in enumerate(c.ys):
            nid = f"n-l{li}-j{j}"
            units.append(_Shape("circle", nid, f"unit l{li}", (
                ("cx", round(c.x, 2)), ("cy", round(y, 2)), ("r", c.r), ("stroke", "#555555"),
                ("stroke-width", 1.5 if c.full else 1)), tip=nid + "-tip"))
            if not c.full:
                continue
            if li == 0:
                texts.append(_text("", "unit l0", c.x, y - 5, size=13, mono=False, bold=True,
                                   text=f"x{_sub(j)}"))
                texts.append(_text(f"t-a-l0-j{j}", "unit l0", c.x, y + 13))
                continue
            texts.append(_text(f"t-z-l{li}-j{j}", f"unit l{li}", c.x, y - 10, fill=_Z_INK))
            texts.append(_text(f"t-a-l{li}-j{j}", f"unit l{li}", c.x, y + 6, bold=True))
            texts.append(_text(f"t-d-l{li}-j{j}", f"unit l{li}", c.x, y + 22, fill=_GRAD_INK))
            texts.append(_text(f"t-b-l{li}-j{j}", f"unit l{li}", c.x, y + c.r + 17, halo=True))
    out = cols[-1]
    for j, y in enumerate(out.ys):
        if out.full or len(out.ys) <= _MEDIUM_MAX:
            texts.append(_text(f"t-y-j{j}", "target", out.x + out.r + 12, y + 4, anchor="start", halo=True))
    # the legend: geometry fixed, so it is part of the drawing
    ly = lay.legend_y
    legend = [
        _Shape("line", "", "legend", (("x1", _LEFT), ("y1", ly - 4), ("x2", _LEFT + 40), ("y2", ly - 4),
                                      ("stroke", _hex(_POS)), ("stroke-width", 4))),
        _text("", "legend", _LEFT + 48, ly, anchor="start", mono=False, text="w > 0"),
        _Shape("line", "", "legend", (("x1", _LEFT + 110), ("y1", ly - 4), ("x2", _LEFT + 150), ("y2", ly - 4),
                                      ("stroke", _hex(_NEG)), ("stroke-width", 4))),
        _text("", "legend", _LEFT + 158, ly, anchor="start", mono=False, text="w < 0"),
        _text("", "legend", _LEFT + 220, ly, anchor="start", mono=False,
              text="edge width 0.6 + 5.4·tanh|w| px; neuron fill: sign and size of a"),
        _text("", "legend", _LEFT, ly + 20, anchor="start", mono=False,
              text="neuron: z = Σₖ wⱼₖ aₖ + bⱼ (grey), a = g(z) (bold)"
                   + (", δ = ∂L/∂z (purple); below it: bias b and ∂L/∂b" if has_target
                      else "; below it: bias b")),
        _text("", "legend", _LEFT, ly + 40, anchor="start", mono=False,
              text=("edge label: w above, ∂L/∂w = δⱼ·aₖ below (purple); " if has_target else "edge label: w; ")
                   + "big layers: numbers in tooltips (hover a circle or an edge in the SVG or page)"),
    ]
    return edges + units + texts + legend


# ---------------------------------------------------------------------------------------------------------------
# the view
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DiagramStep:
    """One step of the step-through: ``formula`` in the lectures' notation, ``entries`` with the numbers put in.

    ``neurons`` and ``edges`` are the layers it highlights (CSS classes ``unit l{l}`` and ``edge l{l}``).
    """

    index: int  # 1-based, as the page's "step i of n" and its #step=i
    kind: str  # "output_delta" | "delta" | "gradient" | "forward"
    layer: int
    title: str
    formula: str
    entries: tuple
    neurons: tuple
    edges: tuple

    def as_dict(self) -> dict:
        """The step as JSON-ready data (what the page's script reads)."""
        return {"index": self.index, "kind": self.kind, "layer": self.layer, "title": self.title,
                "formula": self.formula, "entries": list(self.entries), "neurons": list(self.neurons),
                "edges": list(self.edges)}


class Diagram:
    """One example's forward (and, with a target, backward) pass drawn as the lectures draw a network.

    Made by :func:`diagram` / ``model.diagram(x, target, loss)``. Numbers (layer-indexed lists, index 0 unused
    except ``a[0] = x``): ``W[l][j][k]``, ``b[l][j]``, ``z[l][j]``, ``a[l][j]`` and, with a target, ``delta[l][j]``
    ``= ∂L/∂z^l_j``, ``dW[l][j][k] = δ^l_j a^{l-1}_k``, ``db[l][j] = δ^l_j`` (None without a target), ``loss_value``
    and ``rule`` (the δ^L rule used). Views: :meth:`svg`, :meth:`html`, :meth:`save`, :meth:`steps`,
    :meth:`state`, :meth:`weight_text`; Jupyter shows :meth:`html` inline.
    """

    def __init__(self, *, model_name: str, sizes: tuple, activations: tuple, W: list, b: list, z: list, a: list,
                 target: Union[list, None], loss: Union[str, None], reduction: str, delta: Union[list, None],
                 loss_value: Union[float, None], rule: str, title: str) -> None:
        self.model_name, self.title = model_name, title
        self.sizes, self.activations = sizes, activations
        self.W, self.b, self.z, self.a = W, b, z, a
        self.x = list(a[0])
        self.target, self.loss, self.reduction = target, loss, reduction
        self.delta, self.loss_value, self.rule = delta, loss_value, rule
        L = len(sizes) - 1
        if delta is None:
            self.dW = self.db = None
        else:
            self.dW = [None] + [[[dj * ak for ak in a[li - 1]] for dj in delta[li]] for li in range(1, L + 1)]
            self.db = [None] + [list(delta[li]) for li in range(1, L + 1)]
        self._layout = _layout(sizes)
        self._shapes = _shapes(self._layout, sizes, activations, model_name, title, delta is not None)
        self._state = self._build_state()
        self._steps = self._build_steps()

    # ------------------------------------------------------------------ numbers -> element state
    def _neuron_name(self, li: int, j: int) -> str:
        return f"x{_sub(j)}" if li == 0 else f"a{_sup(li)}{_sub(j)}"

    @staticmethod
    def _list(v: list) -> str:
        return ", ".join(_f(e) for e in v[:6]) + (", …" if len(v) > 6 else "")

    def _build_state(self) -> dict:
        st: dict = {}
        L, has = len(self.sizes) - 1, self.delta is not None
        if has:
            many = self.loss in ELEMENTWISE_LOSSES and self.sizes[-1] > 1
            name = self.loss + (f" ({self.reduction} over the {self.sizes[-1]} outputs)" if many else "")
            st["t-loss"] = {"text": f"input x = [{self._list(self.x)}], target y = [{self._list(self.target)}]; "
                                    f"loss {name}: L = {_f(self.loss_value, 4)}"}
        else:
            st["t-loss"] = {"text": f"input x = [{self._list(self.x)}]; forward pass only (no target given, so no "
                                    "loss and no gradients)"}
        cols = self._layout.columns
        for k, xk in enumerate(self.x):
            st[f"n-l0-j{k}"] = {"fill": "#eeeeee"}
            st[f"n-l0-j{k}-tip"] = {"text": f"input x{_sub(k)} = a⁰{_sub(k)} = {_f(xk, 6)}"}
            if cols[0].full:
                st[f"t-a-l0-j{k}"] = {"text": _f(xk)}
        for li in range(1, L + 1):
            full = cols[li].full
            for j in range(self.sizes[li]):
                zj, aj, bj = self.z[li][j], self.a[li][j], self.b[li][j]
                dj = self.delta[li][j] if has else None
                tip = (f"neuron {self._neuron_name(li, j)} (layer {li}, {self.activations[li]}): "
                       f"z = {_f(zj, 6)}, a = {_f(aj, 6)}, b = {_f(bj, 6)}")
                if has:
                    tip += f", δ = ∂L/∂z = {_f(dj, 6)}, ∂L/∂b = {_f(dj, 6)}"
                st[f"n-l{li}-j{j}"] = {"fill": _tint(aj)}
                st[f"n-l{li}-j{j}-tip"] = {"text": tip}
                if full:
                    st[f"t-z-l{li}-j{j}"] = {"text": f"z {_f(zj)}"}
                    st[f"t-a-l{li}-j{j}"] = {"text": f"a {_f(aj)}"}
                    st[f"t-d-l{li}-j{j}"] = {"text": f"δ {_f(dj)}" if has else ""}
                    st[f"t-b-l{li}-j{j}"] = {"text": f"b {_f(bj)}" + (f"  ∂ {_f(dj)}" if has else "")}
            t = self._layout.label_t[li]
            for j, row in enumerate(self.W[li]):
                for k, w in enumerate(row):
                    eid = f"e-l{li}-j{j}-k{k}"
                    st[eid] = {"stroke": _hex(_colour(w)), "stroke-width": _width(w)}
                    tip = f"w{_sup(li)}{_sub(j, k)} (from {self._neuron_name(li - 1, k)} to neuron {j} of layer " \
                          f"{li}) = {_f(w, 6)}"
                    if has:
                        tip += f"; {self.weight_text(li, j, k)}"
                    st[eid + "-tip"] = {"text": tip}
                    if t is not None:
                        st[f"t-w-l{li}-j{j}-k{k}"] = {"text": _f(w)}
                        st[f"t-g-l{li}-j{j}-k{k}"] = {"text": f"∂ {_f(self.dW[li][j][k])}" if has else ""}
        out = cols[-1]
        for j in range(self.sizes[-1]):
            if out.full or self.sizes[-1] <= _MEDIUM_MAX:
                st[f"t-y-j{j}"] = {"text": f"→ ŷ {_f(self.a[L][j])}" + (f", y {_f(self.target[j])}" if has else "")}
        return st

    # ------------------------------------------------------------------ steps
    def _output_entries(self) -> tuple:
        L, act, name = len(self.sizes) - 1, self.activations[-1], self.loss
        zs, as_, ys, ds = self.z[L], self.a[L], self.target, self.delta[L]
        n = len(ds)
        mean = self.reduction == "mean" and name in ELEMENTWISE_LOSSES and n > 1
        over = f"/{n}" if mean else ""
        form = CANCELLING_FORMS.get((act, name)) if (act, name) in hand.CANCELLING else None
        entries = []
        if form is not None:
            probs = float_softmax(list(zs)) if form == "softmax_z_minus_y" else None
            first = {"a_minus_y": lambda i: as_[i], "sigmoid_z_minus_y": lambda i: hand.G["sigmoid"](zs[i]),
                     "softmax_z_minus_y": lambda i: probs[i]}[form]
            lhs = {"a_minus_y": "a{L}{i} − y{i}", "sigmoid_z_minus_y": "σ(z{L}{i}) − y{i}",
                   "softmax_z_minus_y": "softmax(z{L}){i} − y{i}"}[form]
            for i in range(n):
                expr = lhs.format(L=_sup(L), i=_sub(i))
                nums = f"{_f(first(i), 4)} − {_p(ys[i])}"
                entries.append(f"δ{_sup(L)}{_sub(i)} = ({expr}){over} = ({nums}){over} = {_f(ds[i], 4)}"
                               if over else f"δ{_sup(L)}{_sub(i)} = {expr} = {nums} = {_f(ds[i], 4)}")
            rhs = {"a_minus_y": "a{L} − y", "sigmoid_z_minus_y": "σ(z{L}) − y",
                   "softmax_z_minus_y": "softmax(z{L}) − y"}[form].format(L=_sup(L))
            formula = (f"δ{_sup(L)} = ({rhs})/N, N = {n} outputs" if over else f"δ{_sup(L)} = {rhs}") + \
                f"   ({name} with a {act} output: o'(z) cancels)"
            return formula, entries
        g = hand.loss_rule(name, self.reduction)[1](list(as_), list(ys))
        if act == "softmax":
            dot = math.fsum(ai * gi for ai, gi in zip(as_, g))
            for i in range(n):
                entries.append(f"δ{_sup(L)}{_sub(i)} = a{_sub(i)}(g{_sub(i)} − Σⱼ aⱼgⱼ) = {_p(as_[i])} × "
                               f"({_f(g[i], 4)} − {_p(dot)}) = {_f(ds[i], 4)}")
            return (f"δ{_sup(L)}ᵢ = aᵢ (gᵢ − Σⱼ aⱼ gⱼ), g = ∂L/∂a{_sup(L)}   ({name}, softmax output"
                    + (f", mean over N = {n} outputs)" if mean else ")")), entries
        gp = hand.G_PRIME[act]
        for i in range(n):
            entries.append(f"δ{_sup(L)}{_sub(i)} = ∂L/∂a{_sup(L)}{_sub(i)} · o'(z{_sup(L)}{_sub(i)}) = "
                           f"{_p(g[i])} × {_p(gp(zs[i], as_[i]))} = {_f(ds[i], 4)}")
        return (f"δ{_sup(L)} = ∂L/∂a{_sup(L)} ⊙ o'(z{_sup(L)}), o'(z) = {G_PRIME_TEXT[act]} ({act})   ({name}"
                + (f", ∂L/∂a includes the 1/N of the mean over N = {n} outputs)" if mean else ")")), entries

    def _hidden_entries(self, li: int) -> list:
        W_next, d_next = self.W[li + 1], self.delta[li + 1]
        gp = hand.G_PRIME[self.activations[li]]
        entries = []
        for j in range(min(self.sizes[li], 7)):
            terms = [f"{_p(W_next[i][j], 3)}×{_p(d_next[i], 3)}" for i in range(len(W_next))]
            s = " + ".join(terms[:3]) + (" + …" if len(terms) > 3 else "")
            g = gp(self.z[li][j], self.a[li][j])
            up, here = _sup(li + 1), f"{_sup(li)}{_sub(j)}"
            entries.append(f"δ{here} = (Σᵢ w{up}ᵢ{_sub(j)} δ{up}ᵢ) · g'(z{here}) = ({s}) × {_p(g)} = "
                           f"{_f(self.delta[li][j], 4)}")
        if self.sizes[li] > 7:
            entries = entries[:6] + [f"… ({self.sizes[li] - 6} more)"]
        return entries

    def _build_steps(self) -> list:
        L, steps = len(self.sizes) - 1, []
        if self.delta is None:
            for li in range(1, L + 1):
                act = self.activations[li]
                entries = []
                for j in range(self.sizes[li]):
                    row = self.W[li][j]
                    terms = [f"{_p(w, 3)}×{_p(ak, 3)}" for w, ak in zip(row, self.a[li - 1])]
                    s = " + ".join(terms[:3]) + (" + …" if len(terms) > 3 else "")
                    entries.append(f"z{_sup(li)}{_sub(j)} = {_p(self.b[li][j], 3)} + {s} = {_f(self.z[li][j], 4)}, "
                                   f"a{_sup(li)}{_sub(j)} = {act}(z) = {_f(self.a[li][j], 4)}")
                steps.append(DiagramStep(li, "forward", li, f"Forward, layer {li} ({act})",
                                         f"z{_sup(li)} = W{_sup(li)} a{_sup(li - 1)} + b{_sup(li)},   "
                                         f"a{_sup(li)} = {act}(z{_sup(li)})",
                                         tuple(_take(entries)), (li - 1, li), (li,)))
            return steps
        formula, entries = self._output_entries()
        steps.append(DiagramStep(1, "output_delta", L, f"Output layer {L}: δ{_sup(L)} = ∂L/∂z{_sup(L)}", formula,
                                 tuple(_take(entries)), (L,), ()))
        for li in range(L, 0, -1):
            if li < L:
                act = self.activations[li]
                steps.append(DiagramStep(
                    len(steps) + 1, "delta", li, f"Hidden layer {li}: δ{_sup(li)} from δ{_sup(li + 1)}",
                    f"δ{_sup(li)} = (W{_sup(li + 1)})ᵀ δ{_sup(li + 1)} ⊙ g'(z{_sup(li)}),   g'(z) = "
                    f"{G_PRIME_TEXT[act]} ({act})", tuple(self._hidden_entries(li)), (li, li + 1), (li + 1,)))
            prev = "x" if li == 1 else f"a{_sup(li - 1)}"
            w_entries = [self.weight_text(li, j, k, digits=4) for j in range(self.sizes[li])
                         for k in range(self.sizes[li - 1])]
            b_entries = [f"∂L/∂b{_sup(li)}{_sub(j)} = δ{_sup(li)}{_sub(j)} = {_f(self.db[li][j], 4)}"
                         for j in range(self.sizes[li])]
            steps.append(DiagramStep(
                len(steps) + 1, "gradient", li, f"Gradients of layer {li}: ∂L/∂W{_sup(li)} and ∂L/∂b{_sup(li)}",
                f"∂L/∂W{_sup(li)} = δ{_sup(li)} ({prev})ᵀ, i.e. ∂L/∂w{_sup(li)}ⱼₖ = δ{_sup(li)}ⱼ a{_sup(li - 1)}ₖ;"
                f"   ∂L/∂b{_sup(li)} = δ{_sup(li)}", tuple(_take(w_entries) + _take(b_entries, 4, 3)),
                (li - 1, li), (li,)))
        return steps

    # ------------------------------------------------------------------ public views
    def steps(self) -> list:
        """The step-through, as :class:`DiagramStep` s.

        With a target, the backward pass as the lecture goes: ``δ^L`` (the loss's own formula), then
        ``∂L/∂W^L = δ^L (a^{L-1})ᵀ`` and ``∂L/∂b^L = δ^L``, then for each hidden layer l = L-1..1
        ``δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ g'(z^l)`` followed by its gradients. Without a target, the forward pass layer by
        layer: ``z^l = W^l a^{l-1} + b^l``, ``a^l = g(z^l)``. Each step's ``entries`` put the numbers in (a few
        entries and "…" for big layers).
        """
        return list(self._steps)

    def state(self) -> dict:
        """``{element id: {attribute: value, ..., "text": str}}`` for every element whose look depends on the numbers.

        Ids are listed in the module docstring and never depend on the numbers, only on the layer sizes (and on
        whether a target is given): apply another diagram's state of the same model to restyle this drawing.
        """
        return {k: dict(v) for k, v in self._state.items()}

    def weight_text(self, layer: int, j: int, k: int, digits: int = 6) -> str:
        """The delta rule for one weight with its numbers: ``∂L/∂w^l_jk = δ^l_j · a^{l-1}_k = (..) × (..) = ..``.

        ValueError without a target (there is no gradient then) or for an index outside the model.
        """
        self._check_index("weight_text", layer, j, k)
        if self.delta is None:
            raise ValueError("Diagram.weight_text: this diagram has no target, so no gradient; build it with "
                             "model.diagram(x, target) to see ∂L/∂w")
        prev = f"a{_sup(layer - 1)}{_sub(k)}" + (f" (= x{_sub(k)})" if layer == 1 else "")
        return (f"∂L/∂w{_sup(layer)}{_sub(j, k)} = δ{_sup(layer)}{_sub(j)} · {prev} = "
                f"{_p(self.delta[layer][j], digits)} × {_p(self.a[layer - 1][k], digits)} = "
                f"{_f(self.dW[layer][j][k], digits)}")

    def _check_index(self, where: str, layer: object, j: object, k: object) -> None:
        L = len(self.sizes) - 1
        for what, v in (("layer", layer), ("j", j), ("k", k)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"Diagram.{where}: {what} must be an int, got {describe(v)}")
        if not 1 <= layer <= L:
            raise ValueError(f"Diagram.{where}: layer must be in 1..{L} (the lectures count layers from 1; layer 0 is "
                             f"the input), got {layer}")
        if not (0 <= j < self.sizes[layer] and 0 <= k < self.sizes[layer - 1]):
            raise ValueError(f"Diagram.{where}: w{_sup(layer)}[{j}][{k}] does not exist: layer {layer} has "
                             f"{self.sizes[layer]} neuron(s) (j) and {self.sizes[layer - 1]} input(s) (k), from 0")

    @property
    def width(self) -> int:
        """The drawing's width in px (depends on the layer sizes only)."""
        return int(self._layout.width)

    @property
    def height(self) -> int:
        """The drawing's height in px (depends on the layer sizes only)."""
        return int(self._layout.height)

    def svg(self) -> str:
        """The diagram as standalone SVG text (presentation attributes only, every text escaped)."""
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
               f'viewBox="0 0 {self.width} {self.height}" class="nn-diagram" role="img" '
               f'aria-label="{escape(self.model_name)} network diagram">',
               f'<rect x="0" y="0" width="{self.width}" height="{self.height}" fill="#ffffff"/>']
        for s in self._shapes:
            dyn = self._state.get(s.id, {}) if s.id else {}
            attrs = dict(s.attrs)
            for key, val in dyn.items():
                if key != "text":
                    attrs[key] = val
            head = s.tag + (f' id="{s.id}"' if s.id else "") + (f' class="{escape(s.cls)}"' if s.cls else "")
            head += "".join(f' {key}="{escape(str(val))}"' for key, val in attrs.items())
            inner = escape(dyn.get("text", s.text)) if s.tag == "text" else ""
            if s.tip:
                inner += f'<title id="{s.tip}">{escape(self._state.get(s.tip, {}).get("text", ""))}</title>'
            out.append(f"<{head}>{inner}</{s.tag}>" if inner or s.tag == "text" else f"<{head}/>")
        out.append("</svg>")
        return "\n".join(out)

    def html(self) -> str:
        """The self-contained page: the diagram at its natural size and the step-through (Prev/Next, ← →, #step=N).
        """
        steps = [s.as_dict() for s in self._steps]
        body = ('<section id="panel"><nav><button id="prev" type="button">◀ Prev</button>'
                f'<span id="counter">step 1 of {len(steps)}</span>'
                '<button id="next" type="button">Next ▶</button>'
                '<span class="hint">keys ← → · link to a step: #step=N · hover a circle or an edge for its '
                'numbers</span></nav>'
                '<div id="step-title"></div><div id="step-formula"></div><ul id="step-entries"></ul></section>'
                f'<main id="diagram">{self.svg()}</main>')
        return standalone_page(title=f"{self.model_name} network diagram", body=body, style=_PAGE_STYLE,
                               scripts=[_PAGE_SCRIPT], data={"diagram-steps": steps})

    def _repr_html_(self) -> str:
        return notebook_frame(self.html(), height=min(900, self.height + 230),
                              title=f"{self.model_name} network diagram")

    def save(self, path: Union[str, os.PathLike], *, scale: float = 1.0) -> Path:
        """Write the diagram by the path's suffix: ``.svg``, ``.html`` (the step-through page) or ``.png``.

        PNG draws the same geometry with matplotlib (the ``plot`` extra), ``scale`` times the natural size. Files
        are written atomically (:func:`autograd_core.files.atomic_write`). Returns the path written.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"Diagram.save: path must be a str or a path, got {describe(path)}")
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix not in SAVE_SUFFIXES:
            raise ValueError(f"Diagram.save: cannot write {str(target)!r}: unknown suffix {target.suffix!r}; use "
                             f"{', '.join(SAVE_SUFFIXES)}")
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not 0.25 <= scale <= 8:
            raise ValueError(f"Diagram.save: scale must be a number in [0.25, 8], got {scale!r}")
        if suffix == ".svg":
            return atomic_write(target, self.svg())
        if suffix == ".html":
            return atomic_write(target, self.html())
        return atomic_write(target, self._png(float(scale)))

    def _png(self, scale: float) -> bytes:
        try:
            from matplotlib import patheffects
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.collections import LineCollection, PatchCollection
            from matplotlib.colors import to_rgba
            from matplotlib.figure import Figure
            from matplotlib.patches import Circle
        except ImportError as e:
            raise ImportError("Diagram.save: a .png needs matplotlib: pip install 'autograd-core[plot]' (or save "
                              ".svg or .html, which need nothing)") from e
        W, H = self.width, self.height
        fig = Figure(figsize=(W / 100, H / 100), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, W)
        ax.set_ylim(H, 0)
        ax.axis("off")
        pt = 0.72  # points per px at 100 dpi
        halo = [patheffects.withStroke(linewidth=3 * pt, foreground="white")]
        lines: list = []
        circles: list = []

        def flush(z: int) -> None:
            # one collection per run of lines or circles: thousands of edges draw in well under a second
            if lines:
                ax.add_collection(LineCollection([seg for seg, _, _ in lines], colors=[c for _, c, _ in lines],
                                                 linewidths=[w for _, _, w in lines], capstyle="round", zorder=z))
                lines.clear()
            if circles:
                ax.add_collection(PatchCollection(circles, match_original=True, zorder=z))
                circles.clear()

        for z, s in enumerate(self._shapes):
            a = dict(s.attrs)
            dyn = self._state.get(s.id, {}) if s.id else {}
            a.update({k: v for k, v in dyn.items() if k != "text"})
            if s.tag == "line":
                if circles:
                    flush(z)
                lines.append((((a["x1"], a["y1"]), (a["x2"], a["y2"])),
                              to_rgba(a.get("stroke", "#999999"), float(a.get("stroke-opacity", 1))),
                              float(a.get("stroke-width", 1)) * pt))
            elif s.tag == "circle":
                if lines:
                    flush(z)
                circles.append(Circle((a["cx"], a["cy"]), a["r"], facecolor=a.get("fill", "#ffffff"),
                                      edgecolor=a.get("stroke", "#555555"),
                                      linewidth=float(a.get("stroke-width", 1)) * pt))
            else:
                flush(z)
                text = dyn.get("text", s.text)
                if not text:
                    continue
                ax.text(a["x"], a["y"], text, fontsize=a["font-size"] * pt, color=a["fill"], va="baseline",
                        ha={"start": "left", "middle": "center", "end": "right"}[a["text-anchor"]],
                        family="monospace" if a["font-family"] == _MONO else "sans-serif",
                        fontweight=a.get("font-weight", "normal"), zorder=z,
                        path_effects=halo if "paint-order" in a else None)
        flush(len(self._shapes))
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100 * scale, facecolor="white")
        return buf.getvalue()

    def __repr__(self) -> str:
        kind = f"target, loss {self.loss}" if self.delta is not None else "forward only"
        return f"<Diagram of {self.model_name}: layers {list(self.sizes)}, {kind}, {self.width}x{self.height} px>"


# ---------------------------------------------------------------------------------------------------------------
# building it: delta rule, asserted against the engine
# ---------------------------------------------------------------------------------------------------------------
def _input_float(where: str, i: int, v: object) -> float:
    if isinstance(v, Value):
        v = v.data
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{where}: x[{i}] must be a number, got {describe(v)}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{where}: x[{i}] is {f!r}; the diagram needs finite inputs")
    return f


def _loss_key(where: str, loss: object, out_act: str) -> str:
    if loss is None:
        return DEFAULT_LOSS.get(out_act, "mse")
    try:
        name = loss if isinstance(loss, str) else loss_name(get_loss(loss))
    except (TypeError, ValueError) as e:
        raise type(e)(f"{where}: {e}") from None
    if name not in hand.SUPPORTED_LOSSES:
        shown = loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
        raise ValueError(f"{where}: unknown loss {shown!r:.80}; the delta rule knows "
                         f"{', '.join(hand.SUPPORTED_LOSSES)} (names as nn.losses accepts them, or those functions)")
    return name


def _same(e: float, d: float, tol: float) -> bool:
    if math.isnan(e) or math.isnan(d):
        return math.isnan(e) and math.isnan(d)
    if math.isinf(e) or math.isinf(d):
        return e == d
    return abs(e - d) <= tol


def _mismatch(layer: int, what: str, d: float, e: float, tol: float) -> DiagramMismatchError:
    return DiagramMismatchError(
        f"nn.diagram: the delta rule and the engine disagree at layer {layer}, {what}: delta rule {d!r}, engine "
        f"{e!r} (tolerance {tol:.3g}); the diagram is not drawn rather than show a wrong number. This is a bug: "
        "please report it with the model and input")


def _check_outputs(outs: object, a_L: list, L: int) -> None:
    values = outs if isinstance(outs, list) else [outs]
    for j, (v, d) in enumerate(zip(values, a_L)):
        tol = RTOL * max(1.0, abs(d))
        if not _same(v.data, d, tol):
            raise _mismatch(L, f"output a[{j}]", d, v.data, tol)


def _engine_check(model: Module, dense: list, x: list, target: object, loss: str, reduction: str,
                  bp: hand.Backprop) -> None:
    """Raise DiagramMismatchError unless the engine's ∂L/∂W, ∂L/∂b (= δ), outputs and loss equal the delta rule's."""
    outs, total = batch_loss(model, [x], [target], loss, reduction=reduction)
    L = len(dense)
    _check_outputs(outs[0], bp.a[L], L)
    tol = RTOL * max(1.0, abs(bp.loss))
    if not _same(total.data, bp.loss, tol):
        raise _mismatch(L, "the loss L", bp.loss, total.data, tol)
    params = [v for d in dense for row in d.W for v in row] + [v for d in dense for v in d.b]
    grads = dict(zip(map(id, params), ag.gradients(total, params)))
    for li, d in enumerate(dense, start=1):
        prev, delta, scale = bp.a[li - 1], bp.delta[li], bp.scale[li]
        top = max(1.0, max(abs(ak) for ak in prev))
        layer_scale = max([s * top for s in scale if math.isfinite(s)] + [1e-300])
        tol = RTOL * layer_scale
        for j, (row, bj) in enumerate(zip(d.W, d.b)):
            if not _same(grads[id(bj)], delta[j], tol):
                raise _mismatch(li, f"∂L/∂b[{j}] = δ[{j}]", delta[j], grads[id(bj)], tol)
            for k, w in enumerate(row):
                want = delta[j] * prev[k]
                if not _same(grads[id(w)], want, tol):
                    raise _mismatch(li, f"∂L/∂W[{j}][{k}]", want, grads[id(w)], tol)


def diagram(model: Module, x: Sequence, target: object = None, loss: object = None, *, reduction: str = "mean",
            title: Union[str, None] = None) -> Diagram:
    """The lectures' network diagram of ``model`` (an MLP, Layer or Neuron) for one input ``x``.

    Without ``target``: the forward pass ``z^l = W^l a^{l-1} + b^l``, ``a^l = g(z^l)`` and the weights. With a
    ``target``: also ``δ^l = ∂L/∂z^l`` (``δ^L`` by the loss's rule, then ``δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ g'(z^l)``),
    ``∂L/∂w^l_jk = δ^l_j a^{l-1}_k`` and ``∂L/∂b^l_j = δ^l_j``, from :mod:`nn.delta`, each checked against the
    engine's gradient (:class:`DiagramMismatchError` names the layer and element if they ever disagree).

    Args:
        model: any nn model with ``dense_layers()``.
        x: one input (a sequence of ``nin`` finite numbers).
        target: the example's target, as the loss takes it (numbers, a class index, a probability vector).
        loss: a name of :data:`nn.losses.LOSSES` or one of those functions. Default: ``binary_cross_entropy`` for a
            sigmoid output, ``categorical_cross_entropy`` for a softmax output, ``mse`` otherwise.
        reduction: ``"mean"`` (as ``fit`` trains by default) or ``"sum"``, for the elementwise losses.
        title: an optional caption shown after the model's name.

    TypeError for a non-model or a bad input type, ValueError for a wrong input length, an unknown loss or a bad
    target; nothing is changed on the model (the engine's gradients never touch ``.grad``).
    """
    where = "nn.diagram"
    if not isinstance(model, Module):
        raise TypeError(f"{where}: model must be an nn model (MLP, Layer or Neuron), got {describe(model)}")
    try:
        dense = model.dense_layers()
    except TypeError as e:
        raise TypeError(f"{where}: {e}") from None
    if title is not None and not isinstance(title, str):
        raise TypeError(f"{where}: title must be a str or None, got {describe(title)}")
    check_reduction(where, reduction)
    nin = len(dense[0].W[0])
    xs = [_input_float(where, i, v) for i, v in enumerate(check_input(where, x, nin))]
    net = hand.network(model)
    sizes = (nin,) + tuple(len(d.W) for d in dense)
    acts = ("input",) + tuple(d.activation for d in dense)
    L = len(dense)
    common = dict(model_name=repr(model), sizes=sizes, activations=acts, W=net.W, b=net.b, reduction=reduction,
                  title=title or "")
    if target is None:
        if loss is not None:
            raise ValueError(f"{where}: loss={loss!r:.60} was given without a target; gradients need the example's "
                             "target: model.diagram(x, target, loss)")
        fw = hand.forward(net, xs)
        with ag.no_grad():
            _check_outputs(model(xs), fw.a[L], L)
        return Diagram(z=fw.z, a=fw.a, target=None, loss=None, delta=None, loss_value=None, rule="", **common)
    name = _loss_key(where, loss, acts[-1])
    try:
        bp = hand.backprop(net, xs, target, name, reduction)
        y = ([1.0 if i == check_class_index(name, target, sizes[-1]) else 0.0 for i in range(sizes[-1])]
             if name in _CLASS_LOSSES else check_targets(name, target, sizes[-1]))
        _engine_check(model, dense, xs, target, name, reduction, bp)  # the loss itself checks the target's range
    except OverflowError as e:
        # regression: a target of 1e300 surfaced as the bare OverflowError of (a - y) ** 2
        raise OverflowError(f"{where}: the {name} loss of this example overflows the float range ({e}); the target "
                            f"{target!r:.60} or the weights are too large for it: scale them down") from None
    except (ValueError, TypeError) as e:
        if type(e) not in (ValueError, TypeError):
            raise
        raise type(e)(f"{where}: {e}") from None
    return Diagram(z=bp.z, a=bp.a, target=y, loss=name, delta=bp.delta, loss_value=bp.loss, rule=bp.rule, **common)


VIEWS["diagram"] = diagram


# ---------------------------------------------------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------------------------------------------------
_PAGE_STYLE = """
body{margin:0;font:14px/1.45 "DejaVu Sans",Verdana,Arial,sans-serif;color:#222;background:#fff}
#panel{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid #ccc;padding:6px 16px 8px}
nav{display:flex;align-items:center;gap:10px;flex-wrap:wrap}
button{font-size:14px;padding:3px 12px;cursor:pointer}
#counter{font-weight:bold;min-width:8.5em;text-align:center}
.hint{color:#666;font-size:13px}
#step-title{font-weight:bold;margin-top:6px;font-size:15px}
#step-formula{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:14px;color:#4a148c;
  white-space:nowrap;overflow-x:auto}
#step-entries{list-style:none;margin:4px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:2px 28px;
  font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13px;max-height:8.5em;overflow:auto}
#step-entries li{white-space:nowrap}
#diagram{overflow:auto;padding:6px 8px}
#diagram svg{display:block}
svg.stepping .edge{opacity:.22}
svg.stepping text.edge{opacity:.45}
svg.stepping .unit{opacity:.5}
svg.stepping .edge.hl,svg.stepping .unit.hl{opacity:1}
svg.stepping circle.unit.hl{stroke:#e65100;stroke-width:3px}
"""

_PAGE_SCRIPT = """
(function () {
  "use strict";
  var steps = JSON.parse(document.getElementById("diagram-steps").textContent);
  var svg = document.querySelector("#diagram svg");
  var counter = document.getElementById("counter");
  var title = document.getElementById("step-title");
  var formula = document.getElementById("step-formula");
  var list = document.getElementById("step-entries");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var current = 0;
  function fromHash() {
    var m = /(?:^#|&)step=(\\d+)/.exec(window.location.hash);
    return m ? parseInt(m[1], 10) : 0;
  }
  function mark(selector) {
    var els = svg.querySelectorAll(selector);
    for (var i = 0; i < els.length; i++) { els[i].classList.add("hl"); }
  }
  function show(n) {
    if (!steps.length) { counter.textContent = "no steps"; prev.disabled = next.disabled = true; return; }
    n = Math.max(1, Math.min(steps.length, n));
    current = n;
    var s = steps[n - 1];
    var old = svg.querySelectorAll(".hl");
    for (var i = 0; i < old.length; i++) { old[i].classList.remove("hl"); }
    svg.classList.add("stepping");
    s.neurons.forEach(function (l) { mark(".unit.l" + l); });
    s.edges.forEach(function (l) { mark(".edge.l" + l); });
    counter.textContent = "step " + n + " of " + steps.length;
    title.textContent = s.title;
    formula.textContent = s.formula;
    while (list.firstChild) { list.removeChild(list.firstChild); }
    s.entries.forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e;
      list.appendChild(li);
    });
    prev.disabled = n <= 1;
    next.disabled = n >= steps.length;
    if (fromHash() !== n) {
      try { window.history.replaceState(null, "", "#step=" + n); } catch (err) { /* sandboxed frame */ }
    }
  }
  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowRight") { show(current + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft") { show(current - 1); ev.preventDefault(); }
  });
  window.addEventListener("hashchange", function () { var n = fromHash(); if (n && n !== current) { show(n); } });
  show(fromHash() || 1);
})();
"""
