"""The README's figures are generated or measured, and each is stated once.

* The benchmark table between the README's markers is exactly ``benchmarks.__main__.markdown`` of the published run,
  ``docs/benchmark.json`` (regenerate it with ``python -m benchmarks --readme``), and no other document retypes its
  figures.
* The quick start's commands: the demo installs only the ``demos`` extra; the test command is the one CI runs
  verbatim (``.ci/run``).
* Times are stated in one place: the docs that mention the demo's, the tests' or the benchmark's duration point to
  the README instead of repeating (or contradicting) it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import __main__ as bench

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PUBLISHED = ROOT / "docs" / "benchmark.json"
TEST_COMMAND = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[all]" && .venv/bin/python -m pytest -q'
DEMO_COMMAND = 'python3 -m venv .venv && .venv/bin/pip install -q -e ".[demos]" && .venv/bin/python -m demos.moons'
# the documents whose figures this project keeps in one place (docs/readme/nn.md and the other guides: see the issue)
DOCS = [ROOT / "docs" / "tutorial.md"] + [ROOT / "docs" / "readme" / f"{n}.md" for n in ("demos", "functional",
                                                                                       "testing", "nn")]


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def _published() -> dict:
    return json.loads(PUBLISHED.read_text(encoding="utf-8"))


def test_the_readme_benchmark_table_is_generated_from_the_published_run():
    assert bench.readme_block(_readme()) == bench.markdown(_published()), (
        "README.md's benchmark table differs from docs/benchmark.json: run python -m benchmarks --readme")


def test_the_published_run_is_a_full_run_with_every_peer():
    results = _published()
    assert results["quick"] is False
    assert results["training"]["steps"] == 100 and results["torch"]["steps"] == 10
    assert results["training"]["micrograd_ms"] and results["torch"]["torch_ms"]  # no peer skipped
    assert results["targets"] == bench.verdicts(results)  # the verdicts are the current targets' verdicts


def test_the_markers_appear_once_and_in_order():
    text = _readme()
    assert text.count(bench.README_BEGIN) == 1 and text.count(bench.README_END) == 1
    assert text.index(bench.README_BEGIN) < text.index(bench.README_END)


def _cells(results: dict) -> set:
    """The measured figures of the table as they are printed (60.4 ms, 10.9x, 1.47 us, 162 B, ...)."""
    table = bench.markdown(results).split("\n\n")[0]
    return set(re.findall(r"\b\d+(?:\.\d+)?(?: ms| us| B|x)(?=[ |(])", table)) - {"1x"}


def test_no_document_retypes_a_benchmark_figure():
    figures = _cells(_published())
    assert len(figures) >= 10
    text = _readme()
    begin, end = text.index(bench.README_BEGIN), text.index(bench.README_END)
    outside = text[:begin] + text[end:]
    for doc, body in [(README, outside)] + [(p, p.read_text(encoding="utf-8")) for p in DOCS if p.exists()]:
        retyped = sorted(f for f in figures if re.search(rf"(?<![\d.]){re.escape(f)}", body))
        assert not retyped, f"{doc.relative_to(ROOT)} retypes {retyped}: refer to the README's table instead"


def test_update_readme_rewrites_only_the_table(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n\n{bench.README_BEGIN}\nold table\n{bench.README_END}\n\nafter\n",
                      encoding="utf-8")
    results = _published()
    results["training"]["ours_ms"] = 12.345
    source = tmp_path / "run.json"
    source.write_text(json.dumps(results), encoding="utf-8")
    assert bench.update_readme(source, readme) is True
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# title\n\nbefore\n\n" + bench.README_BEGIN + "\n| figure |")
    assert text.endswith(bench.README_END + "\n\nafter\n")
    assert bench.readme_block(text) == bench.markdown(results) and "| 12.3 ms |" in text
    assert bench.update_readme(source, readme) is False  # idempotent
    assert [p.name for p in tmp_path.iterdir()] == ["README.md", "run.json"]  # no temporary file left


def test_update_readme_refuses_a_quick_run_and_a_readme_without_markers(tmp_path):
    results = _published()
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n", encoding="utf-8")
    source = tmp_path / "run.json"
    source.write_text(json.dumps(results), encoding="utf-8")
    with pytest.raises(ValueError, match="markers"):
        bench.update_readme(source, readme)
    results["quick"] = True
    source.write_text(json.dumps(results), encoding="utf-8")
    readme.write_text(f"{bench.README_BEGIN}\n{bench.README_END}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="quick"):
        bench.update_readme(source, readme)
    assert readme.read_text(encoding="utf-8") == f"{bench.README_BEGIN}\n{bench.README_END}\n"


def test_the_readme_option_measures_nothing(tmp_path, monkeypatch, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"{bench.README_BEGIN}\n{bench.README_END}\n", encoding="utf-8")
    monkeypatch.setattr(bench, "README", readme)
    monkeypatch.setattr(bench, "measure", lambda *a, **k: pytest.fail("--readme must not run the benchmark"))
    assert bench.main(["--readme", str(PUBLISHED)]) == 0
    assert bench.readme_block(readme.read_text(encoding="utf-8")) == bench.markdown(_published())
    assert "rewritten" in capsys.readouterr().out
    assert bench.main(["--readme"]) == 0  # the published run by default
    assert "already up to date" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        bench.main(["--readme", str(tmp_path / "missing.json")])


def test_the_quick_start_commands():
    text = _readme()
    quick_start = text[text.index("## Quick start"):text.index("## A REPL tour")]
    blocks = re.findall(r"```bash\n(.*?)\n```", quick_start, re.S)
    assert blocks == [DEMO_COMMAND, TEST_COMMAND]
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs it verbatim


def test_times_are_stated_in_one_place():
    text = _readme()
    quick_start = text[text.index("## Quick start"):text.index("## A REPL tour")]
    assert re.search(r"\| the demo \|.* s \|", quick_start) and re.search(r"\| the tests \|.* s \|", quick_start)
    # nowhere else a duration for the demo or the tests ("about ten seconds", "half a minute", "7.9 s: 79 ms")
    vague = re.compile(r"\b(?:about|around|under|in a few|a few|half a) ?(?:a |ten |\d+ )?(?:seconds?|minutes?|s)\b"
                       r"|\d+ ms per step")
    for doc in [README] + DOCS:
        body = doc.read_text(encoding="utf-8")
        if doc == README:
            body = body.replace(quick_start, "")
        assert not vague.findall(body), f"{doc.relative_to(ROOT)}: {vague.findall(body)}"
