"""docs/errata.md quotes the notes exactly and covers every slip; its code blocks run in tests/test_docs.py.

The lecture notes are not distributed with the repository; where their text is present (beside the checkout, in
``../shared/reference/lectures``, or wherever ``AUTOGRAD_CORE_NOTES`` points) every quoted line must be found in
them verbatim, up to whitespace.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ERRATA = ROOT / "docs" / "errata.md"
# the slips of the lecture-fidelity issue: (notes, a phrase the entry's heading contains)
SLIPS = [("000", "regularised gradient"), ("000", "minus sign"), ("000", "a_j δ_i"), ("003", "∂o/∂y_n1"),
         ("001", "50^13"), ("002", "softmax"), ("004", "LReLU(-z)")]


def _notes_dir() -> Path | None:
    for candidate in (os.environ.get("AUTOGRAD_CORE_NOTES"), ROOT.parent / "shared" / "reference" / "lectures"):
        if candidate and Path(candidate).is_dir() and list(Path(candidate).glob("00[0-4]_*.txt")):
            return Path(candidate)
    return None


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _quotes() -> list:
    """Every quoted line of the errata (``> `...` `` or ``> ...``), without the markdown around it."""
    found = []
    for line in ERRATA.read_text(encoding="utf-8").splitlines():
        if line.startswith("> "):
            body = line[2:].strip()
            found.append(body[1:-1] if body.startswith("`") and body.endswith("`") else body)
    return found


def test_every_slip_has_an_entry_with_a_quote_a_correction_and_a_number():
    text = ERRATA.read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    headings = [s.splitlines()[0] for s in sections]
    for notes, phrase in SLIPS:
        matching = [s for h, s in zip(headings, sections) if f"Notes {notes}" in h and phrase in h]
        assert len(matching) == 1, (notes, phrase, headings)
        body = matching[0]
        assert "\n> " in body, f"the entry for notes {notes} ({phrase}) quotes no line of the notes"
        assert "**" in body, f"the entry for notes {notes} ({phrase}) states no correct form (in bold)"
        assert "```python" in body and "```text" in body, f"the entry for notes {notes} ({phrase}) computes nothing"


def test_quotes_are_the_notes_verbatim():
    notes = _notes_dir()
    if notes is None:
        pytest.skip("the lecture notes' text is not here (set AUTOGRAD_CORE_NOTES to its folder)")
    corpus = _squash("".join(p.read_text(encoding="utf-8") for p in sorted(notes.glob("00[0-4]_*.txt"))))
    quotes = _quotes()
    assert len(quotes) >= 9
    for quote in quotes:
        assert _squash(quote) in corpus, f"not in the notes: {quote[:80]}"


def test_the_quote_check_has_teeth():
    corpus = _squash("$$LReLU(-z) = \\alpha z$$")
    assert _squash("LReLU(-z) = \\alpha z") in corpus
    assert _squash("LReLU(-z) = -\\alpha z") not in corpus
