"""The README's quick start runs as written, and the public API is what the README says."""

from __future__ import annotations

import re
from pathlib import Path

import jslab

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_quick_start_runs_as_written(capsys):
    block = re.search(r"## Quick start.*?```python\n(.*?)```", README, re.S).group(1)
    assert 8 <= len(block.strip().splitlines()) <= 14
    exec(compile(block, "README.md quick start", "exec"), {})
    out = capsys.readouterr().out
    assert "ack floor     stream seq 2" in out
    assert "ack pending   1" in out


def test_public_api_matches_the_readme():
    for name in ("start", "connect"):
        assert f"jslab.{name}(" in README and name in jslab.__all__
    for method in ("snapshot", "diff", "record", "dashboard", "messages", "streams", "consumers",
                   "fetch", "publish_many"):
        assert f"lab.{method}(" in README or f"`lab.{method}" in README
        assert callable(getattr(jslab.Lab, method))
    for name in jslab.__all__:
        assert hasattr(jslab, name)
