"""docs/readme/nn.md: every python block runs and prints exactly the output block that follows it."""

import contextlib
import io
import pathlib
import re

import pytest

_DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "readme" / "nn.md"
_PAIR = re.compile(r"```python\n(.*?)```\n```\n(.*?)```", re.S)


def _examples():
    return _PAIR.findall(_DOC.read_text(encoding="utf-8"))


def test_the_readme_has_examples():
    assert len(_examples()) >= 6


@pytest.mark.parametrize("index", range(len(_examples())))
def test_readme_example_output(index, tmp_path, monkeypatch):
    code, expected = _examples()[index]
    if "import torch" in code:
        pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"nn.md example {index}", "exec"), {"__name__": "__readme__"})
    assert out.getvalue() == expected
