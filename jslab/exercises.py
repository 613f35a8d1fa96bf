"""Copies of the notebook series for participants, optionally with the solutions taken out.

    >>> copy_series("~/jslab-workshop")                      # the series as it is
    >>> copy_series("~/jslab-workshop", exercises=True)      # solution cells emptied

With ``exercises=True`` every code cell tagged ``solution`` keeps only ``# your solution`` and
loses its outputs; the exercise checks stay, and their recorded outputs (which would show the
solved state) are cleared too, so a participant sees ✗ until they solve the exercise. Each copy
is checked against the notebook format before it is written.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["SERIES_GLOB", "SOLUTION_TAG", "copy_series", "exercise_copy", "series_folder"]

SERIES_GLOB = "[0-9][0-9]-*.ipynb"
SOLUTION_TAG = "solution"
PLACEHOLDER = "# your solution"
_CHECK_CALL = "check.ex("


def series_folder() -> Path:
    """The numbered series shipped beside the package (a source checkout of jslab)."""
    here = Path(__file__).resolve().parent.parent / "notebooks"
    if not any(here.glob(SERIES_GLOB)):
        raise FileNotFoundError(
            f"no notebook series at {here}: the notebooks ship with a source checkout of jslab "
            "(git clone), not with the installed package. Give the folder that holds them."
        )
    return here


def exercise_copy(nb) -> int:
    """Empty the solution cells of ``nb`` (an nbformat notebook) in place; returns how many."""
    emptied = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if SOLUTION_TAG in cell.metadata.get("tags", []):
            cell.source = PLACEHOLDER
            cell.outputs = []
            cell.execution_count = None
            # a hidden, collapsed empty cell would be easy to miss: show it
            jupyter = cell.metadata.get("jupyter")
            if isinstance(jupyter, dict):
                jupyter.pop("source_hidden", None)
                jupyter.pop("outputs_hidden", None)
                if not jupyter:
                    del cell.metadata["jupyter"]
            emptied += 1
        elif _CHECK_CALL in cell.source:
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)  # stored widget state of the solved run
    return emptied


def copy_series(dest: str | os.PathLike, *, exercises: bool = False,
                source: str | os.PathLike | None = None, overwrite: bool = False) -> list[Path]:
    """Copy the numbered notebooks and their README into ``dest``; returns the notebooks written.

    An existing notebook in ``dest`` (someone's work) is kept unless ``overwrite=True``.
    """
    import nbformat

    src = Path(source).expanduser() if source is not None else series_folder()
    paths = sorted(src.glob(SERIES_GLOB))
    if not paths:
        raise FileNotFoundError(f"no notebooks named like {SERIES_GLOB} in {src}.")
    dest = Path(dest).expanduser()
    if not overwrite:
        taken = [p.name for p in paths if (dest / p.name).exists()]
        if taken:
            raise FileExistsError(
                f"{dest} already holds {', '.join(taken[:3])}{' …' if len(taken) > 3 else ''}: "
                "that may be someone's work. Choose another folder, or overwrite with --force."
            )
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        target = dest / path.name
        if exercises:
            nb = nbformat.read(path, as_version=4)
            exercise_copy(nb)
            nbformat.validate(nb)
            nbformat.write(nb, target)
        else:
            shutil.copyfile(path, target)
        written.append(target)
    readme = src / "README.md"
    if readme.is_file():
        shutil.copyfile(readme, dest / "README.md")
    return written
