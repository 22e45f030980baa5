"""Self-contained HTML pages, shared by every view: the step page, the network diagram, the training explorer.

A page made by :func:`standalone_page` needs nothing else: no network access, no external scripts, styles, fonts or
images. Its Content-Security-Policy allows only the page's own inline scripts and style, by SHA-256 hash (never
``'unsafe-inline'``), plus ``'wasm-unsafe-eval'`` when the page runs the vendored WebAssembly Graphviz. Data travels
in ``<script type="application/json">`` blocks, which are never executed and whose ``<`` is escaped, so no text in
them can close the element.

:func:`notebook_frame` wraps a page in an ``<iframe srcdoc=...>``: Jupyter and Colab show it inline without a
kernel round trip, and the page's scripts run sandboxed (``allow-scripts`` only: no access to the notebook).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

__all__ = ["csp_hash", "html_path", "json_block", "notebook_frame", "standalone_page"]


def csp_hash(text: str) -> str:
    """The CSP source expression ``'sha256-<base64>'`` that allows exactly this inline script or style text."""
    if not isinstance(text, str):
        raise TypeError(f"csp_hash: text must be a str, got {type(text).__name__}")
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def json_block(element_id: str, payload: object) -> str:
    """``payload`` as a JSON data block ``<script type="application/json" id=...>`` (never executed).

    NaN and infinities are refused (ValueError): JSON has no spelling for them, and a page must not show a
    silently wrong number. ``<``, ``>`` and ``&`` are escaped as ``\\u003c`` etc., so nothing can close the element.
    """
    if not isinstance(element_id, str) or not element_id.replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"json_block: element_id must be letters, digits, '-' or '_', got {element_id!r}")
    try:
        text = json.dumps(payload, ensure_ascii=True, allow_nan=False, separators=(",", ":"))
    except ValueError as exc:
        raise ValueError(f"json_block: the data for #{element_id} holds NaN or an infinity, which a page cannot "
                         "show honestly; check the values before building the page") from exc
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def standalone_page(*, title: str, body: str, style: str = "", scripts: Sequence[str] = (),
                    data: Mapping[str, object] | None = None, wasm: bool = False) -> str:
    """A complete, self-contained HTML document.

    Args:
        title: the document title (escaped here).
        body: the body's markup, already escaped by the caller.
        style: one inline stylesheet.
        scripts: inline scripts, run in order at the end of the body.
        data: ``{element_id: payload}``, each written with :func:`json_block` before the scripts.
        wasm: allow WebAssembly compilation (``'wasm-unsafe-eval'``), needed by the vendored Graphviz.

    The CSP is ``default-src 'none'`` plus the hashes of exactly these scripts and this style; images only from
    ``data:`` URLs; no base URI, no forms.
    """
    if not isinstance(title, str) or not isinstance(body, str) or not isinstance(style, str):
        raise TypeError("standalone_page: title, body and style must be str")
    if isinstance(scripts, str) or not all(isinstance(s, str) for s in scripts):
        raise TypeError("standalone_page: scripts must be a sequence of str (one per <script> element)")
    script_src = " ".join(csp_hash(s) for s in scripts) or "'none'"
    if wasm:
        script_src += " 'wasm-unsafe-eval'"
    csp = (f"default-src 'none'; script-src {script_src}; style-src {csp_hash(style)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    blocks = [json_block(k, v) for k, v in (data or {}).items()]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        body,
        *blocks,
        *[f"<script>{s}</script>" for s in scripts],
        "</body>",
        "</html>",
        "",
    ])


def notebook_frame(page: str, *, height: int = 640, title: str = "autograd-core view") -> str:
    """``page`` inside an ``<iframe srcdoc=...>``, for ``_repr_html_``: shown inline by Jupyter and Colab.

    The whole page travels in the attribute (escaped), so the view needs no server, no file and no kernel round
    trip; ``sandbox="allow-scripts"`` lets its scripts run but gives them no access to the notebook.
    """
    if not isinstance(page, str):
        raise TypeError(f"notebook_frame: page must be HTML text (a str), got {type(page).__name__}")
    if isinstance(height, bool) or not isinstance(height, int) or height <= 0:
        raise ValueError(f"notebook_frame: height must be a positive int (pixels), got {height!r}")
    return (f'<iframe srcdoc="{escape(page, quote=True)}" sandbox="allow-scripts" title="{escape(title)}" '
            f'style="width:100%;height:{height}px;border:1px solid #ddd;border-radius:4px"></iframe>')


def html_path(path: object, where: str) -> Path:
    """``path`` checked as the destination of a page, before any work: a str or ``os.PathLike`` (TypeError), ending
    in ``.html`` or ``.htm`` and not a folder (ValueError: a page written under another suffix would not open as
    one), in an existing directory (FileNotFoundError). Every page writer uses it; errors name ``where``."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{where}: path must be a str or os.PathLike naming an .html file, got "
                        f"{type(path).__name__} {path!r:.60}")
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"{where}: a page is HTML; give a path ending in .html (a page's file name must end in "
                         f".html or .htm to open in a browser), got {str(target)!r:.120}")
    if target.is_dir():
        raise ValueError(f"{where}: {str(target)!r:.120} is a folder; give a file name inside it such as "
                         f"{str(target / 'page.html')!r:.120}")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"{where}: directory {str(directory)!r} does not exist; create it first")
    return target
