"""scripts/nav.py: navigation cells and the README index, idempotently."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("scripts_nav", REPO / "scripts" / "nav.py")
nav = importlib.util.module_from_spec(_spec)
sys.modules["scripts_nav"] = nav  # dataclasses look their module up there
_spec.loader.exec_module(nav)


def write(path: Path, title: str, summary: str) -> None:
    nb = new_notebook(
        cells=[
            new_markdown_cell(f"# {title}\n\n{summary}\n\n## What you will learn\n- a"),
            new_code_cell("1 + 1"),
        ]
    )
    nbformat.write(nb, path)


@pytest.fixture
def series(tmp_path: Path) -> Path:
    write(tmp_path / "00-welcome.ipynb", "Welcome", "Start here: what a stream is.")
    write(tmp_path / "01-streams.ipynb", "Streams", "Publish and\nlook at the | tape.")
    write(tmp_path / "02-consumers.ipynb", "Consumers", "Pull, ack, and nak.")
    (tmp_path / "scratch.ipynb").write_text("not part of the series")
    return tmp_path


def sources(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(path, as_version=4).cells]


def test_nav_cells_link_previous_contents_and_next(series):
    nav.update(series)
    middle = sources(series / "01-streams.ipynb")
    expected = (
        "<!-- jslab-nav -->\n[← 00 · Welcome](00-welcome.ipynb) | [Contents](README.md)"
        " | [02 · Consumers →](02-consumers.ipynb)"
    )
    assert middle[0] == expected
    assert middle[-1] == expected
    assert middle[1].startswith("# Streams")
    assert len(middle) == 4
    first = sources(series / "00-welcome.ipynb")[0]
    assert "←" not in first
    assert "[01 · Streams →](01-streams.ipynb)" in first
    last = sources(series / "02-consumers.ipynb")[-1]
    assert "→" not in last
    assert "[← 01 · Streams](01-streams.ipynb)" in last


def test_running_twice_changes_nothing(series):
    assert len(nav.update(series)) == 4  # three notebooks and the README
    before = {p.name: p.read_bytes() for p in series.iterdir()}
    assert nav.update(series) == []
    assert nav.update(series, check=True) == []
    assert {p.name: p.read_bytes() for p in series.iterdir()} == before


def test_titles_are_followed_when_they_change(series):
    nav.update(series)
    path = series / "02-consumers.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = "# Pull consumers\n\nFetch in batches."
    nbformat.write(nb, path)
    assert nav.update(series, check=True) != []
    nav.update(series)
    assert "[02 · Pull consumers →](02-consumers.ipynb)" in sources(series / "01-streams.ipynb")[0]
    assert sum(nav.is_nav_cell(c) for c in nbformat.read(path, as_version=4).cells) == 2


def test_readme_indexes_the_series_and_keeps_other_text(series):
    nav.update(series)
    readme = (series / "README.md").read_text()
    assert "| 00 | [Welcome](00-welcome.ipynb) | Start here: what a stream is. |" in readme
    assert "| 01 | [Streams](01-streams.ipynb) | Publish and look at the \\| tape. |" in readme
    assert "scratch" not in readme
    (series / "README.md").write_text("# Mine\n\nKept.\n\n" + readme[readme.index("<!--") :])
    write(series / "03-kv.ipynb", "Key-value", "Buckets on streams.")
    nav.update(series)
    readme = (series / "README.md").read_text()
    assert readme.startswith("# Mine\n\nKept.\n\n")
    assert "| 03 | [Key-value](03-kv.ipynb) | Buckets on streams. |" in readme


def test_check_reports_out_of_date_files_with_exit_code(series, capsys):
    assert nav.main([str(series), "--check"]) == 1
    assert "out of date" in capsys.readouterr().out
    assert nav.main([str(series)]) == 0
    assert nav.main([str(series), "--check"]) == 0


def test_the_committed_series_is_up_to_date():
    stale = nav.update(nav.NOTEBOOKS, check=True)
    assert stale == [], f"run `python scripts/nav.py`: out of date: {stale}"
