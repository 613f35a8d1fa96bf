"""scripts/run_notebooks.py executes notebooks in place, in order, with this environment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "run_notebooks.py"


def run(*args: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def notebook(path: Path, *cells) -> Path:
    nbformat.write(new_notebook(cells=[new_markdown_cell("# T"), *cells]), path)
    return path


def test_executes_in_place_with_fresh_counts_and_no_timing(tmp_path):
    path = notebook(
        tmp_path / "01-ok.ipynb",
        new_code_cell("import sys, pathlib\nprint(sys.executable)"),
        new_code_cell(""),
        new_code_cell("pathlib.Path.cwd().name"),
        new_code_cell("raise ValueError('on purpose')", metadata={"tags": ["raises-exception"]}),
        new_code_cell("6 * 7"),
    )
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].execution_count = 9  # stale state that the run must replace
    nbformat.write(nb, path)

    result = run(path)
    assert result.returncode == 0, result.stderr
    assert "01-ok.ipynb" in result.stdout
    assert "1 of 1 notebooks executed" in result.stdout

    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert [c.execution_count for c in cells] == [1, None, 2, 3, 4]
    assert cells[0].outputs[0]["text"].strip() == sys.executable
    assert cells[2].outputs[0]["data"]["text/plain"] == repr(tmp_path.name)
    assert cells[3].outputs[0]["ename"] == "ValueError"
    assert cells[4].outputs[0]["data"]["text/plain"] == "42"
    assert all("execution" not in c.metadata for c in cells)
    assert nbformat.read(path, as_version=4).metadata.kernelspec.name == "python3"


def test_a_failing_cell_names_notebook_and_cell_and_leaves_the_file(tmp_path):
    path = notebook(
        tmp_path / "02-bad.ipynb",
        new_code_cell("x = 1"),
        new_code_cell("1 / 0"),
    )
    before = path.read_bytes()
    result = run(path)
    assert result.returncode == 1
    assert "FAILED" in result.stderr
    assert "02-bad.ipynb" in result.stderr
    assert "code cell 1" in result.stderr
    assert "ZeroDivisionError" in result.stderr
    assert path.read_bytes() == before


def test_a_tagged_cell_that_raises_nothing_is_an_error(tmp_path):
    path = notebook(
        tmp_path / "03-tag.ipynb",
        new_code_cell("'no error here'", metadata={"tags": ["raises-exception"]}),
    )
    result = run(path)
    assert result.returncode == 1
    assert "tagged 'raises-exception' but raised nothing" in result.stderr
