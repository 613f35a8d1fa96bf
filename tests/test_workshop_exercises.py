"""`jslab notebooks DEST --exercises`: copies of the series for participants.

Valid notebooks, no solution code left, the checks kept (with their solved outputs cleared),
everything else as it was; and the checks fail when run on the unsolved copies.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import jslab
import jslab.check
from jslab.cli import main
from jslab.exercises import PLACEHOLDER, SOLUTION_TAG, copy_series, series_folder
from jslab.lab import Lab
from jslab.server import LocalServer

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
pytestmark = pytest.mark.timeout(300)


def series() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))


def tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


def is_check(cell) -> bool:
    return cell.cell_type == "code" and "check.ex(" in cell.source


def run_cell(source: str, namespace: dict):
    """Run a cell's source; return the value of its last line if that is an expression."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    if last is not None:
        return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
    return None


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    dest = tmp_path_factory.mktemp("copies") / "exercises"
    assert main(["notebooks", str(dest), "--exercises"]) == 0
    return dest


def test_the_copy_holds_the_series_and_its_index(copies):
    assert series() and series_folder() == NOTEBOOKS
    assert [p.name for p in sorted(copies.glob("*.ipynb"))] == [p.name for p in series()]
    assert (copies / "README.md").read_text() == (NOTEBOOKS / "README.md").read_text()
    assert not (copies / "workshop-facilitator.ipynb").exists()


@pytest.mark.parametrize("original", series(), ids=lambda p: p.name)
def test_no_solution_code_is_left_and_the_rest_is_unchanged(copies, original):
    src = nbformat.read(original, as_version=4)
    nb = nbformat.read(copies / original.name, as_version=4)
    nbformat.validate(nb)
    assert len(nb.cells) == len(src.cells)
    solutions = [c.source for c in src.cells if SOLUTION_TAG in tags(c)]
    assert solutions, f"{original.name} has no cell tagged {SOLUTION_TAG!r}"
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    rest = [c.source for c in src.cells if c.cell_type == "code" and SOLUTION_TAG not in tags(c)]
    for solution in solutions:
        assert not any(solution.strip() in c for c in code)
        # every line only the solution has is gone
        own = [line for line in solution.splitlines()
               if line.strip() and not line.strip().startswith("#")
               and not any(line in r for r in rest)]
        left = [line for line in own if any(line in c for c in code)]
        assert not left, f"{original.name}: solution lines left: {left}"
    for before, after in zip(src.cells, nb.cells, strict=True):
        if SOLUTION_TAG in tags(before):
            assert after.source == PLACEHOLDER and after.outputs == []
            assert after.execution_count is None
            assert not after.metadata.get("jupyter", {}).get("source_hidden")
        elif is_check(before):
            assert after.source == before.source, "a check was changed"
            assert after.outputs == [] and after.execution_count is None
        else:
            assert after == before


# Notebooks whose exercises have no check: 60's answer is the learner's own measurement.
WITHOUT_CHECKS = {"60-performance-lab.ipynb"}


def test_every_other_notebook_has_exercise_checks():
    unchecked = {p.name for p in series()
                 if not any(is_check(c) for c in nbformat.read(p, as_version=4).cells)}
    assert unchecked == WITHOUT_CHECKS


@pytest.mark.parametrize("original", [p for p in series() if p.name not in WITHOUT_CHECKS],
                         ids=lambda p: p.name)
def test_the_checks_fail_on_an_unsolved_copy(copies, original):
    nb = nbformat.read(copies / original.name, as_version=4)
    start = next(i for i, c in enumerate(nb.cells) if is_check(c))
    with LocalServer() as srv:
        lab = Lab(srv.url)
        try:
            namespace = {"jslab": jslab, "lab": lab}
            results = []
            # the exercise part of the copy, in order: placeholders, your-turn cells, checks
            for cell in nb.cells[start:]:
                if cell.cell_type != "code":
                    continue
                if is_check(cell):
                    results.append(run_cell(cell.source, namespace))
                elif SOLUTION_TAG in tags(cell) or not cell.source.strip() or all(
                        line.strip().startswith("#") for line in cell.source.splitlines()
                        if line.strip()):
                    run_cell(cell.source, namespace)
        finally:
            lab.close()
    assert results, f"{original.name}: no check ran"
    first = repr(results[0])
    assert first.startswith("✗ "), f"{original.name}: the first check on a fresh lab: {first}"
    passed = [repr(r) for r in results if r.passed]
    assert not passed, f"{original.name}: checks passed unsolved: {passed}"


def test_a_copy_keeps_existing_work_unless_forced(tmp_path, capsys):
    dest = tmp_path / "mine"
    written = copy_series(dest)
    assert [p.read_bytes() for p in written] == [p.read_bytes() for p in series()]
    (dest / series()[0].name).write_text("my work")
    assert main(["notebooks", str(dest), "--exercises"]) == 1
    err = capsys.readouterr().err
    assert "may be someone's work" in err and err.count("\n") == 1
    assert (dest / series()[0].name).read_text() == "my work"
    assert main(["notebooks", str(dest), "--exercises", "--force"]) == 0
    assert "exercise copies (solution cells emptied)" in capsys.readouterr().out
    nbformat.validate(nbformat.read(dest / series()[0].name, as_version=4))


def test_an_unknown_source_folder_says_what_to_give(tmp_path, capsys):
    assert main(["notebooks", str(tmp_path / "x"), "--from", str(tmp_path)]) == 1
    assert "no notebooks named like" in capsys.readouterr().err


@pytest.mark.slow
def test_the_first_copy_runs_top_to_bottom_with_every_check_failing(copies):
    """The welcome notebook, run as a participant would: no error, every check ✗."""
    path = copies / series()[0].name
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "run_notebooks.py"), str(path)],
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    nb = nbformat.read(path, as_version=4)
    shown = ["".join(o.get("data", {}).get("text/plain", "")) for c in nb.cells if is_check(c)
             for o in c.outputs]
    assert shown and all(text.startswith("✗ ") for text in shown), shown
