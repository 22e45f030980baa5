"""Plumbing shared by the demos: the command line, the output folder, figures and graphs written atomically.

Every demo runs as ``python -m demos.NAME [--quick] [--out DIR]`` (from any folder once the package is installed
with ``pip install "autograd-core[demos]"``), through :func:`run`: a missing optional package ends the demo with one
line saying what to install, never a traceback. Figures are PNG files drawn by matplotlib on an Agg canvas (set
here in code, so no display is ever needed); computation graphs are SVG when Graphviz's ``dot`` program is
installed, otherwise the ``.dot`` source plus a hint on how to render it (no Python package is needed for either).
Every file is written to a temporary file in the target folder and renamed into place, so an interrupted demo never
leaves half a file.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from autograd_core import render
from autograd_core.files import atomic_write

from . import NEEDS

__all__ = [
    "DEFAULT_OUT",
    "DOT_HINT",
    "DemoArgs",
    "run",
    "parse_args",
    "new_figure",
    "save_figure",
    "save_graph",
    "write_text",
    "heading",
    "table",
    "imports_frozen",
]

DEFAULT_OUT = "demo_out"
DOT_HINT = ("Graphviz's dot program was not found, so the graph was written as DOT source; install Graphviz "
            "(`sudo apt-get install graphviz`, `brew install graphviz` or `conda install graphviz`) and render it "
            "with `dot -Tsvg {path} -o {svg}`")


# optional packages the demos import (top-level module -> what pip calls it), for a bare ModuleNotFoundError
_OPTIONAL = {"matplotlib": "matplotlib", "sklearn": "scikit-learn", "tqdm": "tqdm", "numpy": "numpy",
             "scipy": "scipy", "torch": "torch"}


def _program(main: Callable[..., Any]) -> str:
    """``python -m demos.NAME`` for a demo's ``main``, also when the demo runs as ``__main__``."""
    module = sys.modules.get(main.__module__)
    spec = getattr(module, "__spec__", None)
    return f"python -m {spec.name if spec is not None else main.__module__}"


def _missing_package(error: ImportError) -> str | None:
    """The one-line message for an ImportError caused by a missing optional package, or None for any other."""
    if "pip install" in str(error):  # the demos' and the library's own messages say what to install
        return str(error)
    top = (error.name or "").split(".")[0] if isinstance(error, ModuleNotFoundError) else ""
    if top in _OPTIONAL:
        return f"this demo needs {_OPTIONAL[top]}: pip install 'autograd-core[demos]'"
    return None


def run(main: Callable[[Sequence[str] | None], Any], argv: Sequence[str] | None = None) -> NoReturn:
    """Run a demo's ``main(argv)`` as a program and exit: ``if __name__ == "__main__": run(main)``.

    A missing optional package (matplotlib, scikit-learn, ...) ends the demo with exit code 1 and one line on
    stderr, ``python -m demos.NAME: error: ...`` saying what to install, instead of a traceback; Ctrl-C ends it with
    exit code 130 and no traceback. Any other exception propagates with its traceback (that is a bug). ``argv=None``
    reads ``sys.argv[1:]``.
    """
    try:
        main(argv)
    except ImportError as e:
        message = _missing_package(e)
        if message is None:
            raise
        print(f"{_program(main)}: error: {message}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"{_program(main)}: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(0)


@dataclass(frozen=True)
class DemoArgs:
    """A demo's options: ``quick`` (a smaller, faster run), ``out`` (the folder the figures go to) and ``flags``
    (the demo's own on/off options, by name without the dashes)."""

    quick: bool
    out: Path
    flags: dict = field(default_factory=dict)


def _importable(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # ValueError: a module without a spec
        return False


def parse_args(name: str, description: str, argv: Sequence[str] | None, quick_help: str,
               flags: Sequence[tuple] = ()) -> DemoArgs:
    """Parse ``[--quick] [--out DIR]`` for ``python -m demos.NAME``, check the demo's packages, create the folder.

    ``argv=None`` reads ``sys.argv[1:]``. An ``--out`` that exists but is not a folder is a usage error (exit 2).
    The optional packages the demo needs (``demos.NEEDS[name]``) are checked before the demo prints anything: one
    missing raises ModuleNotFoundError saying what to install; run as a program (``argv=None``) the demo instead
    stops with that one line on stderr and exit code 1, as argparse does for a usage error.
    """
    parser = argparse.ArgumentParser(prog=f"python -m demos.{name}", description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    parser.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                        help=f"folder for the figures (created if missing; default: ./{DEFAULT_OUT})")
    for flag, help_text in flags:  # a demo's own on/off options, e.g. ("--compile", "...")
        parser.add_argument(flag, action="store_true", help=help_text)
    ns = parser.parse_args(None if argv is None else list(argv))
    missing = [p for p in NEEDS.get(name, ()) if not _importable(p)]
    if missing:
        wanted = [_OPTIONAL.get(p, p) for p in missing]
        message = (f"the {name} demo needs {' and '.join(wanted)}: pip install 'autograd-core[demos]' (or pip "
                   f"install {' '.join(wanted)})")
        if argv is None:
            parser.exit(1, f"{parser.prog}: error: {message}\n")
        raise ModuleNotFoundError(message, name=missing[0])
    out = Path(ns.out)
    if out.exists() and not out.is_dir():
        parser.error(f"--out {str(out)!r} exists and is not a folder; give a folder for the figures")
    out.mkdir(parents=True, exist_ok=True)
    names = [flag.lstrip("-").replace("-", "_") for flag, _ in flags]
    return DemoArgs(bool(ns.quick), out, {n: bool(getattr(ns, n)) for n in names})


def _atomic_write(path: Path, write) -> Path:
    """Call ``write(file_object)`` on a temporary file next to ``path``, then rename it to ``path``."""
    buffer = io.BytesIO()
    write(buffer)
    return atomic_write(path, buffer.getvalue())


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    return _atomic_write(Path(path), lambda f: f.write(text.encode("utf-8")))


def new_figure(width: float = 6.4, height: float = 4.8) -> Any:
    """A matplotlib ``Figure`` on an Agg canvas (no pyplot, no display, no global figure registry).

    Raises ImportError naming the ``demos`` extra when matplotlib is missing.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("the demos draw their figures with matplotlib: pip install 'autograd-core[demos]' "
                          "(or pip install matplotlib)") from e
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Any, path: Path, dpi: int = 120) -> Path:
    """Save ``fig`` to ``path`` (format from the suffix, e.g. ``.png``) atomically and return the path."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if not fmt:
        raise ValueError(f"save_figure: cannot tell the format of {str(path)!r}; give it a suffix such as .png")
    return _atomic_write(path, lambda f: fig.savefig(f, format=fmt, dpi=dpi))


def save_graph(root: Any, out: Path, stem: str, **draw_kwargs: Any) -> Path:
    """Draw the graph of the Value ``root`` into ``out``: ``stem.svg`` when ``dot`` is installed, else ``stem.dot``.

    Without Graphviz's ``dot`` program the DOT source is written and a hint printed on how to install Graphviz and
    render it. No Python package is needed either way. Returns the path written.
    """
    out = Path(out)
    drawing = render.draw(root, **draw_kwargs)
    try:
        return render.render_to(drawing, out / f"{stem}.svg")
    except render.DotNotFoundError:
        path = render.render_to(drawing, out / f"{stem}.dot")
        print("  (" + DOT_HINT.format(path=path, svg=path.with_suffix(".svg")) + ")")
        return path


def heading(title: str) -> None:
    """Print a section title underlined to its width."""
    print()
    print(title)
    print("-" * len(title))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with left-aligned columns (cells are converted with ``str``)."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


@contextlib.contextmanager
def imports_frozen() -> Iterator[None]:
    """Keep the cyclic garbage collector (still on) from re-walking the objects that exist when the block starts.

    Importing scikit-learn and matplotlib creates ~100 000 objects that never become garbage; every full collection
    during training would walk them again, and a training step that builds tens of thousands of Values triggers
    about one full collection. ``gc.freeze()`` moves them out of the collector's sight for the block;
    ``gc.unfreeze()`` puts them back. A caller that has frozen objects itself is left as it is.
    """
    if gc.get_freeze_count() > 0:
        yield
        return
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
