"""The documentation's code runs: every ```python block of docs/tutorial.md, docs/errata.md, README.md and
docs/readme/*.md.

The blocks of one file run in order in one shared namespace, in a temporary working directory (so files they write
land there). Blocks tagged otherwise (```text, ```bash, untagged) are not executed. In docs/tutorial.md and
docs/errata.md a python block followed directly by a ```text block must print exactly that text. The
docs/readme/*.md files are the README's sections before the lead merges them, each checked on its own.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
ERRATA = ROOT / "docs" / "errata.md"  # the notes' slips, each settled by an executed block and its printed output
OPTIONAL = {"torch", "graphviz", "matplotlib", "sklearn", "tqdm", "hypothesis", "sympy", "selenium", "numpy",
            "micrograd"}
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)[^\n`]*$")


class Block(NamedTuple):
    """One fenced block: its info tag (``python``, ``text``, ... or ``""``), body, and 1-based first body line."""

    tag: str
    code: str
    line: int
    follows_previous: bool  # only blank lines between the previous block's closing fence and this block


def fenced_blocks(text: str) -> list:
    """Every fenced code block of a markdown text, in order (indented fences inside list items included)."""
    blocks, lines, i, last_end = [], text.split("\n"), 0, None
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, tag = m.group(1), m.group(2), m.group(3).lower()
        start = i + 1
        j = start
        while j < len(lines) and not (lines[j].strip().startswith(fence[0] * len(fence))
                                      and lines[j].strip().strip(fence[0]) == ""):
            j += 1
        body = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in lines[start:j]]
        adjacent = last_end is not None and all(not ln.strip() for ln in lines[last_end + 1:i])
        blocks.append(Block(tag, "\n".join(body) + "\n", start + 1, adjacent))
        last_end = j
        i = j + 1
    return blocks


def _doc_files() -> list:
    files = [TUTORIAL, ROOT / "README.md"] + sorted((ROOT / "docs" / "readme").glob("*.md"))
    return [f for f in files if f.exists()]


def _with_python(files: list) -> list:
    return [f for f in files if any(b.tag == "python" for b in fenced_blocks(f.read_text(encoding="utf-8")))]


def _installed(package: str) -> bool:
    try:
        return importlib.util.find_spec(package) is not None
    except (ImportError, ValueError):  # ValueError: sys.modules[package] is None
        return False


def _missing_optional(error: BaseException):
    """Why ``error`` comes from something optional that is not installed, or None. Library code and the demos catch
    a missing package and raise an ImportError that says what to install (``from`` the ModuleNotFoundError), so the
    whole chain of causes is searched; a missing Graphviz ``dot`` program shows up as DotNotFoundError."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        top = (error.name or "").split(".")[0] if isinstance(error, ModuleNotFoundError) else ""
        if top in OPTIONAL and not _installed(top):
            return f"the optional package {top}"
        if type(error).__name__ == "DotNotFoundError" and shutil.which("dot") is None:
            return "Graphviz's dot program"
        error = error.__cause__ or error.__context__
    return None


def _run_file(path: Path, check_output: bool) -> int:
    """Execute the file's python blocks in one namespace; return how many ran."""
    blocks = fenced_blocks(path.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__docs__"}
    try:
        rel = path.relative_to(ROOT)
    except ValueError:
        rel = Path(path.name)
    ran = 0
    for k, block in enumerate(blocks):
        if block.tag != "python":
            continue
        out = io.StringIO()
        where = f"{rel}:{block.line}"
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(block.code, where, "exec"), namespace)
        except Exception as e:
            missing = _missing_optional(e)
            if missing:
                pytest.skip(f"{where} needs {missing}, which is not installed")
            raise AssertionError(f"the python block at {where} failed: {type(e).__name__}: {e}\n"
                                 f"--- block ---\n{block.code}--- its output so far ---\n{out.getvalue()}") from e
        ran += 1
        if check_output and k + 1 < len(blocks) and blocks[k + 1].tag == "text" and blocks[k + 1].follows_previous:
            expected = blocks[k + 1].code
            assert out.getvalue() == expected, (f"the python block at {where} printed something other than the "
                                                f"text block after it (line {blocks[k + 1].line}):\n"
                                                f"--- printed ---\n{out.getvalue()}--- documented ---\n{expected}")
    return ran


@pytest.fixture
def doc_env(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # a block that plots must never need a display
    monkeypatch.syspath_prepend(str(ROOT))  # blocks may import demos or benchmarks from the checkout
    return tmp_path


def test_tutorial_blocks_run_and_print_what_is_shown(doc_env):
    ran = _run_file(TUTORIAL, check_output=True)
    assert ran >= 15


@pytest.mark.parametrize("path", _with_python([f for f in _doc_files() if f != TUTORIAL]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_doc_python_blocks_run(path, doc_env):
    assert _run_file(path, check_output=False) >= 1


def test_errata_blocks_run_and_print_what_is_shown(doc_env):
    assert _run_file(ERRATA, check_output=True) >= 8


def test_errata_outputs_are_checked():
    blocks = fenced_blocks(ERRATA.read_text(encoding="utf-8"))
    python = [k for k, b in enumerate(blocks) if b.tag == "python"]
    silent = [k for k in python if "print(" not in blocks[k].code]
    checked = [k for k in python
               if k + 1 < len(blocks) and blocks[k + 1].tag == "text" and blocks[k + 1].follows_previous]
    assert sorted(checked + silent) == python  # every block that prints has its output shown and compared


def test_the_docs_are_found():
    files = _doc_files()
    assert TUTORIAL in files and ROOT / "README.md" in files
    assert (ROOT / "docs" / "readme" / "demos.md") in files
    assert TUTORIAL in _with_python(files)


def test_tutorial_follows_the_path_of_the_notes():
    headings = [ln for ln in TUTORIAL.read_text(encoding="utf-8").splitlines() if ln.startswith("## ")]
    path = ["chain rule", "computation graph", "logistic regression", "delta rule", "multi-layer perceptron",
            "gradient descent", "vanishing gradients"]
    found = [next(i for i, h in enumerate(headings) if topic in h.lower()) for topic in path]
    assert found == sorted(found)


def test_tutorial_outputs_are_checked():
    # every python block that prints is followed by its text block, so the outputs are all verified
    blocks = fenced_blocks(TUTORIAL.read_text(encoding="utf-8"))
    python = [k for k, b in enumerate(blocks) if b.tag == "python"]
    checked = [k for k in python
               if k + 1 < len(blocks) and blocks[k + 1].tag == "text" and blocks[k + 1].follows_previous]
    assert len(checked) == len(python)


def test_only_python_blocks_are_extracted():
    text = ("intro\n\n```python\nx = 1\n```\n\n```text\n1\n```\nprose\n```bash\nrm -rf /\n```\n"
            "```\nuntagged\n```\n- item\n\n  ```python\n  y = 2\n  ```\n````python\nz = '```'\n````\n")
    blocks = fenced_blocks(text)
    assert [b.tag for b in blocks] == ["python", "text", "bash", "", "python", "python"]
    assert [b.code for b in blocks if b.tag == "python"] == ["x = 1\n", "y = 2\n", "z = '```'\n"]
    assert blocks[1].follows_previous and not blocks[2].follows_previous
    assert blocks[0].line == 4


def test_a_failing_block_names_its_file_and_line(tmp_path, monkeypatch):
    doc = tmp_path / "doc.md"
    doc.write_text("# t\n\n```python\nx = 1\n```\n\n```python\nraise ValueError('boom')\n```\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match=r"doc\.md:8 failed: ValueError: boom"):
        _run_file(doc, check_output=False)


def test_a_wrong_documented_output_is_caught(tmp_path, monkeypatch):
    doc = tmp_path / "doc.md"
    doc.write_text("```python\nprint(1 + 1)\n```\n\n```text\n3\n```\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="printed something other"):
        _run_file(doc, check_output=True)
    assert _run_file(doc, check_output=False) == 1


# the five lecture notes are listed once, in the README, and cited by number everywhere else
NOTES = {"000": "CS60050 Machine Learning", "001": "Implementing ANNs with TensorFlow", "002": "COMP417 Lecture 6",
         "003": "Gradient Descent and Backpropagation", "004": "Backpropagation in Neural Nets"}
# the documents and demos kept to that rule (the other guides and nn's docstrings: see the issue)
CITING = ([ROOT / "README.md", TUTORIAL, ERRATA] + [ROOT / "docs" / "readme" / f"{n}.md"
                                                   for n in ("demos", "functional", "testing")]
          + sorted(p for p in (ROOT / "demos").glob("*.py") if not p.name.startswith("_")))


def test_the_lecture_notes_are_listed_once_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The lecture notes"):]
    section = section[:section.index("\n## ", 1)]
    for number, title in NOTES.items():
        assert re.search(rf"^\| {number} \| \*{re.escape(title)}", section, re.M), number
        for path in CITING:
            text = path.read_text(encoding="utf-8")
            if path.name == "README.md":
                text = text.replace(section, "")
            assert title not in text, f"{path.relative_to(ROOT)} names notes {number} by title: cite 'notes {number}'"


@pytest.mark.parametrize("path", CITING, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_notes_are_cited_by_number(path):
    text = path.read_text(encoding="utf-8")
    if path.name == "README.md":  # the list of the notes, with their titles
        start = text.index("## The lecture notes")
        text = text[:start] + text[text.index("\n## ", start):]
    vague = re.findall(r"[^.\n]*\blectures?'?s?\b(?![ -]notes)[^.\n]*", text, re.I)
    assert not vague, f"{path.relative_to(ROOT)} says 'the lectures' where it should cite notes 000-004: {vague}"
    cited = set(re.findall(r"\bnotes (\d{3})\b", text)) | {n for a, b in re.findall(r"\bnotes (\d{3})-(\d{3})\b", text)
                                                            for n in NOTES if a <= n <= b}
    assert cited <= set(NOTES), f"{path.relative_to(ROOT)} cites notes that do not exist: {cited - set(NOTES)}"
