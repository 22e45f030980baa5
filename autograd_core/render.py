"""Pictures of computation graphs: Graphviz drawings (``draw``, ``render_to``, ``to_svg``) and a text tree.

``draw`` writes the graph as DOT source itself (plain text: records, ellipses, clusters, edges) and returns a
:class:`Drawing`; no Python package is needed, so ``.dot`` files and ``Drawing.source`` always work. Turning the
source into SVG, PNG or PDF runs Graphviz's ``dot`` program in a subprocess (``apt-get install graphviz`` or ``brew
install graphviz``); :class:`DotNotFoundError` says how to install it when it is missing. ``text_tree`` needs
nothing. Node names come from :func:`autograd_core.trace.node_names`, so the picture, the stepper and ``explain``
call every node the same.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Union

from .files import atomic_write
from .graph import topological_order
from .ops import ATOM
from .trace import Step, expression, numbering
from .value import HOOKS, Value

__all__ = ["draw", "render_to", "to_svg", "text_tree", "Drawing", "DotError", "DotNotFoundError", "FORMATS",
           "escape_record"]

_RANKDIRS = ("LR", "RL", "TB", "BT")
_DOT_INSTALL = ("install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
                "`conda install graphviz`, or see https://graphviz.org/download/")
_NAME_WIDTH = 40  # longer labels are shortened in pictures so one long label cannot blow up the layout

#: the output formats :func:`render_to` hands to ``dot -T``; ``.dot`` and ``.gv`` are the source itself
FORMATS = frozenset({"svg", "svgz", "png", "pdf", "ps", "eps", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp",
                     "json", "xdot", "plain"})

# colours: the node of the current step, nodes already visited, the current step's edges
_CURRENT = "#ffd54f"
_VISITED = "#dbe9f6"
_ACTIVE_EDGE = "#c62828"

# DOT syntax: what may stay unquoted, the reserved words, a double quote not yet escaped (an escaped one is kept)
_ID = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*|-?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)")
_KEYWORDS = frozenset({"node", "edge", "graph", "digraph", "subgraph", "strict"})
_QUOTE = re.compile(r'(?P<backslashes>(?:\\\\)*)\\?"')


class DotError(RuntimeError):
    """Graphviz's ``dot`` program could not render a drawing; ``format`` is the format asked for and ``detail``
    what ``dot`` said (its error output)."""

    def __init__(self, message: str, format: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.format = format
        self.detail = detail


class DotNotFoundError(DotError):
    """Graphviz's ``dot`` program is needed (rendering to SVG, PNG, ...) but is not installed or not on PATH.

    ``DotNotFoundError.install`` says how to install it, in one sentence.
    """

    install = _DOT_INSTALL


def _run_dot(source: str, fmt: str, where: str) -> bytes:
    """``source`` rendered by ``dot -T<fmt>``: the output bytes, or DotNotFoundError / DotError."""
    missing = (f"{where}: rendering to {fmt} needs Graphviz's `dot` program, which was not found on PATH; "
               f"{_DOT_INSTALL}. Writing a .dot file needs no binary.")
    exe = shutil.which("dot")
    if exe is None:
        raise DotNotFoundError(missing, fmt)
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=source.encode("utf-8"), capture_output=True, check=False)
    except OSError as e:  # on PATH but not runnable (permissions, a broken install)
        raise DotNotFoundError(f"{missing} (running {exe} failed: {e.strerror or e})", fmt) from e
    if done.returncode != 0:
        detail = " ".join(done.stderr.decode("utf-8", "replace").split())[:500] or f"exit code {done.returncode}"
        raise DotError(f"{where}: Graphviz's dot could not render {fmt}: {detail}", fmt, detail)
    return done.stdout


class Drawing:
    """A drawn computation graph, as returned by :func:`draw`: DOT source, rendered by Graphviz's ``dot`` on demand.

    ``source`` is the DOT text (making it needs nothing); :meth:`pipe` renders it (``dot`` program needed), and
    Jupyter shows a Drawing inline as SVG when ``dot`` is installed. The source can also be handed to any Graphviz
    tool, e.g. ``graphviz.Source(drawing.source)``. Write it to a file with :func:`render_to`.
    """

    __slots__ = ("source",)

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise TypeError(f"Drawing: source must be DOT text (a str), got {type(source).__name__}")
        self.source = source

    def pipe(self, format: str = "svg", encoding: str | None = None) -> Union[bytes, str]:
        """The drawing rendered by ``dot -T<format>``: bytes, or text when ``encoding`` is given (e.g. ``"utf-8"``).

        Raises :class:`DotNotFoundError` (with installation instructions) when ``dot`` is missing, and
        :class:`DotError` when it fails.
        """
        if not isinstance(format, str) or not re.fullmatch(r"[A-Za-z0-9_.]+(:[A-Za-z0-9_.]+)*", format):
            raise ValueError(f"Drawing.pipe: format must be a Graphviz output format such as 'svg', got {format!r}")
        data = _run_dot(self.source, format.lower(), "Drawing.pipe")
        return data if encoding is None else data.decode(encoding)

    def _repr_image_svg_xml(self) -> str:
        # the name graphviz's objects use for their SVG; Value._repr_svg_ calls it
        return _run_dot(self.source, "svg", "Drawing").decode("utf-8")

    def _repr_svg_(self) -> str | None:
        # Jupyter: the picture when dot is installed, otherwise None, and Jupyter shows repr() instead
        try:
            return self._repr_image_svg_xml()
        except DotNotFoundError:
            return None

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return ("<Drawing: a computation graph as DOT source (.source); render_to(drawing, 'graph.svg') renders it "
                "with Graphviz's dot>")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _quote(text: str) -> str:
    """``text`` as a DOT ID: bare when DOT allows it, else double-quoted with its unescaped quotes escaped."""
    if _ID.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    return '"' + _QUOTE.sub(r'\g<backslashes>\\"', text) + '"'


def _attr_list(attrs: dict, label_first: bool = True) -> str:
    """`` [label=... a=1 b=2]``: a node's or edge's label first, then the attributes by name; "" when empty."""
    keys = sorted(attrs, key=lambda k: (not (label_first and k == "label"), k))
    return f" [{' '.join(f'{k}={_quote(attrs[k])}' for k in keys)}]" if keys else ""


class _Body:
    """One graph or cluster of the DOT text being written: its attributes, node lines and sub-clusters."""

    def __init__(self, name: str, attrs: dict, defaults: tuple = ()) -> None:
        self.name = name
        self.attrs = attrs
        self.lines: list = list(defaults)  # default attribute statements (``node [...]``) come first
        self.clusters: list = []

    def node(self, node_id: str, label: str, **attrs: str) -> None:
        self.lines.append(f"{node_id}{_attr_list({'label': label, **attrs})}")

    def write(self, out: list, indent: str, head: str) -> None:
        """Append the lines of this body to ``out``, up to its closing brace (the caller adds it, after edges)."""
        out.append(f"{indent}{head} {self.name} {{")
        inner = indent + "\t"
        if self.attrs:
            out.append(f"{inner}graph{_attr_list(self.attrs, label_first=False)}")
        out.extend(inner + line for line in self.lines)
        for cluster in self.clusters:
            cluster.write(out, inner, "subgraph")
            out.append(inner + "}")


def escape_record(text: str) -> str:
    r"""``text`` made literal inside a Graphviz record label.

    Backslashes are doubled (``\l`` would be a DOT line break), ``{ } | < >`` (record structure and ports) and
    ``"`` get a backslash, control characters become spaces.
    """
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "&":
            out.append("&amp;")  # dot reads &name; and &#nn; as entities
        elif ch in '{}|<>"':
            out.append("\\" + ch)
        elif ch < " " or ch == "\x7f":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _escape_plain(text: str) -> str:
    # a plain (non-record) DOT label: only backslashes are special (_quote escapes the double quotes)
    return "".join(" " if (ch < " " or ch == "\x7f") else ch for ch in text).replace("\\", "\\\\").replace("&", "&amp;")


def _short(name: str) -> str:
    return name if len(name) <= _NAME_WIDTH else name[: _NAME_WIDTH - 3] + "..."


def _op_text(v: Value) -> str:
    # the op table's printer with placeholder operands: "· * ·", "tanh(·)", "· ** 2", "sum([·, …], start=1)",
    # "· + … * …" (a variadic op: its first inputs, then one repeated group)
    op = v.op_entry
    if op.arity == -1:
        first, step = op.counts
        operands = [("·", ATOM)] * first + [("…", ATOM)] * step
    else:
        operands = [("·", ATOM)] * len(v.parents)
    return op.write(operands, v.arg)[0]


def _check_int(where: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
    return value


def _box_keys(order: list, depth: int | None) -> list:
    """Per Value of ``order``, the scope box it is collapsed into at ``depth`` (its scope path cut to ``depth``
    parts), or None where it is drawn as itself: outside a scope that deep, nothing collapsed (``depth`` None), or
    the root (last in order), which the picture always shows."""
    keys: list = [None] * len(order)
    if depth is not None:
        for i, v in enumerate(order[:-1]):
            if v.scope:
                parts = v.scope.split("/")
                if len(parts) >= depth:
                    keys[i] = tuple(parts[:depth])
    return keys


def _size(order: list, keys: list) -> tuple[int, int]:
    """(units, edges) of the drawing with the boxes ``keys`` (:func:`_box_keys`)."""
    unit = {v: (v if key is None else key) for v, key in zip(order, keys)}
    units = sum(1 for key in keys if key is None) + len({key for key in keys if key is not None})
    drawn = 0  # each drawn interior node's op ellipse -> its record
    pairs: set = set()  # parallel edges (x * x, sum([x] * 700)) between two units count once for the layout
    for v in order:
        u = unit[v]
        if type(u) is not tuple and v.op_entry is not None:
            drawn += 1
        for p in v.parents:
            pu = unit[p]
            if pu is not u:
                pairs.add((pu if type(pu) is tuple else id(pu), u if type(u) is tuple else id(u)))
    return units, drawn + len(pairs)


def _collapse_depth(order: list, max_nodes: int) -> int | None:
    """None if the graph fits; else the deepest scope level whose collapse brings it under ``max_nodes`` values and
    ``3 * max_nodes`` edges (thousands of edges between a few hundred boxes make a picture no one can read)."""
    max_edges = 3 * max_nodes
    units, edges = _size(order, _box_keys(order, None))
    if units <= max_nodes and edges <= max_edges:
        return None
    for d in range(max((len(v.scope.split("/")) for v in order[:-1] if v.scope), default=0), 0, -1):
        units_d, edges_d = _size(order, _box_keys(order, d))
        if units_d <= max_nodes and edges_d <= max_edges:
            return d
    top = len({v.scope.split("/")[0] for v in order if v.scope})
    unscoped = sum(1 for v in order if not v.scope)
    what = (f"{units} values, more than max_nodes={max_nodes}" if units > max_nodes else
            f"{units} values but {edges} edges between them, more than the {max_edges} (3 x max_nodes) a readable "
            "picture holds")
    raise ValueError(
        f"draw: the graph has {what}, and collapsing its scopes does not help enough "
        f"({_plural(top, 'top-level scope')}, {_plural(unscoped, 'value')} outside any scope). Wrap parts of the "
        "computation in `with autograd_core.scope('name'):` so they can be collapsed into one box each, draw a "
        "smaller part of the graph, or raise max_nodes (dot gets slow beyond a few thousand nodes)")


def draw(root: Value, rankdir: str = "LR", show_grads: bool = True, show_local: bool = True,
         highlight: Union[Value, Step, None] = None, max_nodes: int = 200) -> Drawing:
    """The computation graph of ``root`` as a :class:`Drawing` (its DOT source; shown inline in Jupyter).

    Each Value is a record ``name | data | grad`` (interior nodes also show their backward step number, ``step
    3``: the order backward visits them); the op that made it is a small ellipse in front of it, and each edge
    from an input to the op is labelled with the local derivative d node / d input. Values created inside
    ``with autograd_core.scope("layer1"):`` are drawn inside a cluster per scope (nested scopes nest).

    Args:
        root: the Value whose graph to draw.
        rankdir: layout direction, ``"LR"`` (left to right), ``"RL"``, ``"TB"`` or ``"BT"``.
        show_grads: show each node's ``grad``.
        show_local: label the edges with local derivatives.
        highlight: a Value to mark, or a :class:`autograd_core.Step`: its node is marked, the nodes visited so
            far are shaded, its edges show ``local x upstream = contribution``, and the grads shown are those
            right after that step (``step.grads_so_far()``), so one frame per step replays backward.
        max_nodes: most Values to draw (and ``3 * max_nodes`` edges). A larger graph has its scopes collapsed into
            single boxes, as deep as possible while fitting, with no action needed: an ``nn`` model's parameters
            and values carry their layer's and neuron's scope, so ``MLP(2, [16, 16, 1])`` is drawn neuron by
            neuron and ``MLP(2, [64, 64, 1])`` layer by layer. If collapsing cannot bring the graph under the
            limits, ValueError says how to fix it. Graphviz is never handed a graph too big to lay out.

    Drawing needs nothing: the DOT source is written here. Rendering it (:func:`render_to` to ``.svg``/``.png``,
    :func:`to_svg`, :meth:`Drawing.pipe`) needs Graphviz's ``dot`` program and says how to install it when it
    is missing.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw: root must be a Value, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    _check_int("draw", "max_nodes", max_nodes)
    if highlight is not None and not isinstance(highlight, (Value, Step)):
        raise TypeError(f"draw: highlight must be a Value or a Step, got {type(highlight).__name__}")

    order = topological_order(root)
    numbers, names = numbering(order)
    current = visited = None
    grads: dict = {}
    active: dict = {}
    if highlight is not None:
        current = highlight.node if isinstance(highlight, Step) else highlight
        if current not in numbers:
            raise ValueError(f"draw: highlight {names.get(current) or current.label or current!r} is not part of the "
                             "graph of root")
        if isinstance(highlight, Step):
            grads = highlight.grads_so_far()
            visited = {s.node for s in highlight.history()}
            active = {u.position: u for u in highlight.updates}
    depth = _collapse_depth(order, max_nodes)

    def scope_of(v: Value) -> tuple:
        return tuple(v.scope.split("/")) if v.scope else ()

    # every Value maps to the id of what represents it: its own record, or the box of its collapsed scope
    unit: dict = {}
    boxes: dict = {}
    for v, key in zip(order, _box_keys(order, depth)):
        if key is not None:
            box = boxes.get(key)
            if box is None:
                box = boxes[key] = {"id": f"s{len(boxes)}", "count": 0, "current": False}
            box["count"] += 1
            box["current"] = box["current"] or v is current
            unit[v] = box["id"]
        else:
            unit[v] = f"v{numbers[v]}"

    g = _Body("computation_graph", {"rankdir": rankdir, "fontname": "Helvetica"},
              ("node [fontname=Helvetica fontsize=11]", "edge [fontname=Helvetica fontsize=9]"))
    clusters: dict = {}  # scope path -> _Body of its cluster

    def container(path: tuple) -> _Body:
        if not path:
            return g
        c = clusters.get(path)
        if c is None:
            c = clusters[path] = _Body(f"cluster_{len(clusters)}", {"label": _escape_plain(path[-1]),
                                                                    "style": "rounded", "color": "#7f8c8d"})
        return c

    for key, box in boxes.items():
        style = {"style": "filled,bold", "fillcolor": _CURRENT} if box["current"] else {}
        # a box of the root's own scope sits in that scope's cluster, beside the root
        home = key if scope_of(root)[:len(key)] == key else key[:-1]
        container(home).node(box["id"], _escape_plain(f"{key[-1]}: {_plural(box['count'], 'value')}"),
                             shape="box3d", **style)
    edges: dict = {}
    for v in order:
        if unit[v][0] == "s":
            for p in v.parents:
                if unit[p] != unit[v]:
                    edges.setdefault((unit[p], unit[v]), {})
            continue
        vid = unit[v]
        head = _short(names[v])
        if v.op_entry is not None:
            head += f" (step {numbers[v]})"
        fields = [escape_record(head), f"data {v.data:.4g}"]
        if show_grads:
            fields.append(f"grad {grads.get(v, v.grad):.4g}")
        attrs = {"shape": "record"}
        if v is current:
            attrs.update(style="filled,bold", fillcolor=_CURRENT, penwidth="2")
        elif visited is not None and v in visited:
            attrs.update(style="filled", fillcolor=_VISITED)
        box = container(scope_of(v))
        box.node(vid, "{ " + " | ".join(fields) + " }", **attrs)
        if v.op_entry is None:
            continue
        oid = f"o{numbers[v]}"
        box.node(oid, _escape_plain(_op_text(v)), shape="ellipse", margin="0.05,0.02", height="0.3")
        edges[(oid, vid)] = {}
        locals_ = v.local_derivatives() if show_local else ()
        for i, p in enumerate(v.parents):
            attrs = {}
            if show_local:
                attrs["label"] = f"{float(locals_[i]):.4g}"
            u = active.get(i) if v is current else None
            if u is not None:
                attrs.update(color=_ACTIVE_EDGE, fontcolor=_ACTIVE_EDGE, penwidth="2",
                             label=f"{u.local:.4g} x {highlight.upstream:.4g} = {u.contribution:+.4g}")
            if unit[p][0] == "s":
                # several edges from one collapsed box to the same op are drawn once, without a derivative
                edges.setdefault((unit[p], oid), {})
            else:
                # parallel edges (x * x) stay separate: each is one path with its own local derivative
                edges[(unit[p], oid, i)] = attrs
    for path in list(clusters):
        for k in range(1, len(path)):
            container(path[:k])  # a scope holding only sub-scopes still gets its cluster
    for path in clusters:  # creation order: a cluster is created before any cluster inside it
        container(path[:-1]).clusters.append(clusters[path])

    lines: list = []
    g.write(lines, "", "digraph")
    lines.extend(f"\t{key[0]} -> {key[1]}{_attr_list(attrs)}" for key, attrs in edges.items())
    lines.append("}")
    return Drawing("\n".join(lines) + "\n")


def _as_drawing(obj, draw_kwargs: dict, where: str) -> Drawing:
    if isinstance(obj, Value):
        return draw(obj, **draw_kwargs)
    source = getattr(obj, "source", None)
    if isinstance(source, str):  # a Drawing, or any Graphviz object with DOT source (graphviz.Digraph, Source)
        if draw_kwargs:
            raise TypeError(f"{where}: draw options {sorted(draw_kwargs)} only apply when passing a Value, not an "
                            "already drawn graph")
        return obj if isinstance(obj, Drawing) else Drawing(source)
    raise TypeError(f"{where}: expected a Value or a Drawing from draw(), got {type(obj).__name__}")


def to_svg(obj, **draw_kwargs) -> str:
    """SVG text of a Value's graph (``draw(obj, **draw_kwargs)``) or of a :class:`Drawing` from :func:`draw`.

    Needs Graphviz's ``dot`` program; :class:`DotNotFoundError` says how to install it.
    """
    return _run_dot(_as_drawing(obj, draw_kwargs, "to_svg").source, "svg", "to_svg").decode("utf-8")


def render_to(obj, path: Union[str, os.PathLike], format: str | None = None, **draw_kwargs) -> Path:
    """Write a Value's graph (or a :class:`Drawing` from :func:`draw`) to ``path``; the format comes from the suffix.

    ``.dot`` / ``.gv`` write the DOT source and need nothing else; ``.svg``, ``.png``, ``.pdf`` and the other
    :data:`FORMATS` run Graphviz's ``dot`` program (:class:`DotNotFoundError` if it is missing). ``format``
    overrides the suffix. The file is written atomically (a temporary file in the same directory, then renamed),
    so a failure never leaves a half-written file. Returns the path written.
    """
    target = Path(path)
    fmt = (format or target.suffix.lstrip(".")).lower()
    if not fmt:
        raise ValueError(f"render_to: cannot tell the format of {str(target)!r}; give it a suffix such as .svg, "
                         ".png or .dot, or pass format=")
    if fmt not in FORMATS and fmt not in ("dot", "gv"):
        raise ValueError(f"render_to: unknown format {fmt!r} (from {str(target)!r}); use .svg, .png, .pdf or .dot")
    drawing = _as_drawing(obj, draw_kwargs, "render_to")
    data = drawing.source.encode("utf-8") if fmt in ("dot", "gv") else _run_dot(drawing.source, fmt, "render_to")
    return atomic_write(target, data)


def text_tree(v: Value, max_nodes: int = 200) -> str:
    """A text tree of ``v`` and its inputs, for terminals without Graphviz (``print(v.graph())``).

    One line per node: name, how it was computed, data and grad (and scope). A subexpression used more than once
    is expanded the first time and referenced as ``(shown above)`` afterwards, so the output grows with the graph,
    not with the number of paths; at most ``max_nodes`` lines are printed, then a line saying how many are left.

    Example::

        h = tanh(z)  data 0.7616  grad 0
        └── z = mul#2 + b  data 1  grad 0
            ├── mul#2 = w * x  data -6  grad 0
            │   ├── w  data -3  grad 0
            │   └── x  data 2  grad 0
            └── b  data 7  grad 0
    """
    if not isinstance(v, Value):
        raise TypeError(f"text_tree: expected a Value, got {type(v).__name__}")
    _check_int("text_tree", "max_nodes", max_nodes)
    order = topological_order(v)
    names = numbering(order)[1]
    total = 1 + sum(len(n.parents) for n in order if n.op_entry is not None)

    def describe(n: Value) -> str:
        text = names[n] if n.op_entry is None else f"{names[n]} = {expression(n, names)}"
        text += f"  data {n.data:.4g}  grad {n.grad:.4g}"
        return text + (f"  [{n.scope}]" if n.scope else "")

    lines: list = []
    expanded: set = set()
    # iterative preorder walk: (node, prefix for its children, connector before it)
    stack = [(v, "", "")]
    while stack and len(lines) < max_nodes:
        n, prefix, connector = stack.pop()
        if n.op_entry is not None and n in expanded:
            lines.append(f"{connector}{names[n]} (shown above)")
            continue
        lines.append(connector + describe(n))
        if n.op_entry is None:
            continue
        expanded.add(n)
        ps = n.parents
        for i in range(len(ps) - 1, -1, -1):
            last = i == len(ps) - 1
            stack.append((ps[i], prefix + ("    " if last else "│   "), prefix + ("└── " if last else "├── ")))
    if total > len(lines):
        lines.append(f"... {total - len(lines)} more lines not shown (raise max_nodes={max_nodes}, or draw the graph)")
    return "\n".join(lines)


HOOKS["text_tree"] = text_tree
HOOKS["draw"] = draw
