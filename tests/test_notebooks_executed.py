"""Guards around the nbval run: it must have something real to compare, strictly.

nbval executes a code cell that has no execution count and no output but never compares it,
so a notebook committed with cleared outputs would pass while testing nothing. These tests
fail on that, on cells executed out of order, on an empty series, and on a `make test` that
would run nbval in lax mode.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SANITIZER = "tests/nbval_sanitize.cfg"


def notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def test_the_series_is_not_empty():
    assert notebooks(), f"no notebooks in {NOTEBOOKS}: the nbval run would test nothing"


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_every_code_cell_was_executed_in_order(path):
    nb = nbformat.read(path, as_version=4)
    cells = code_cells(nb)
    assert cells, f"{path.name} has no code cell"
    unrun = [i for i, c in enumerate(cells) if c.execution_count is None]
    assert not unrun, (
        f"{path.name}: code cells {unrun} were never executed; run "
        "`python scripts/run_notebooks.py " + f"notebooks/{path.name}` and commit the outputs"
    )
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(cells)} in order; "
        "re-run it top to bottom with scripts/run_notebooks.py"
    )


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name)
def test_the_notebook_has_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert any(c.get("outputs") for c in code_cells(nb)), (
        f"{path.name} has no outputs at all, so nbval would compare nothing"
    )


def _makefile_variables(text: str) -> dict[str, str]:
    variables = {}
    for match in re.finditer(r"^([A-Z_]+)[ \t]*[:?]?=[ \t]*(.*)$", text, flags=re.MULTILINE):
        variables[match.group(1)] = match.group(2).strip()
    return variables


def _expand(text: str, variables: dict[str, str], depth: int = 3) -> str:
    for _ in range(depth):
        text = re.sub(r"\$\(([A-Z_]+)\)", lambda m: variables.get(m.group(1), ""), text)
    return text


def test_make_test_runs_nbval_strict():
    """`make test` compares the notebooks strictly, with the sanitizer, one kernel each."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:.*\n((?:\t.*\n?)+)", makefile, flags=re.MULTILINE)
    assert recipe, "the Makefile has no `test` target"
    pytest_lines = [ln for ln in recipe.group(1).splitlines() if "pytest" in ln]
    assert pytest_lines, "`make test` does not run pytest"
    words = shlex.split(_expand(" ".join(pytest_lines), _makefile_variables(makefile)))
    # pytest's addopts, if any (a string in [tool.pytest.ini_options]; tomllib is 3.11+)
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    addopts = re.search(r'^addopts\s*=\s*"(.*)"\s*$', pyproject, flags=re.MULTILINE)
    words += shlex.split(addopts.group(1)) if addopts else []

    assert "--nbval" in words, f"`make test` runs pytest without --nbval: {words}"
    assert "--nbval-lax" not in words, "`make test` must compare outputs (--nbval, not lax)"
    assert "--nbval-current-env" in words
    assert "--nbval-sanitize-with" in words
    assert words[words.index("--nbval-sanitize-with") + 1] == SANITIZER
    if "-n" in words or any(w.startswith("--numprocesses") for w in words):
        assert "--dist" in words, "with xdist, nbval needs --dist loadfile"
        assert words[words.index("--dist") + 1] in ("loadfile", "loadscope")
