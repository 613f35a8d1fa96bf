"""Execute the notebook series top to bottom, in place, so the committed outputs are fresh.

Each notebook runs in a new kernel started from the interpreter running this script (the
project venv), in the notebook's own folder, exactly as `pytest --nbval` will run it later:

- execution counts restart at 1 and follow the code cells in order;
- a cell may raise only when it carries the `raises-exception` tag, and a tagged cell that
  raises nothing is an error too (its lesson would show nothing);
- run-specific noise is left out (execution timings, stored widget state), so a re-run of an
  unchanged notebook gives a small diff;
- a notebook that fails is left untouched on disk, and the script names it and the cell.

Example::

    .venv/bin/python scripts/run_notebooks.py                 # every notebooks/NN-*.ipynb
    .venv/bin/python scripts/run_notebooks.py -j 2 notebooks/03-consumers.ipynb
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SERIES_GLOB = "[0-9][0-9]-*.ipynb"
KERNEL_NAME = "python3"
RAISES_TAG = "raises-exception"
DEFAULT_CELL_TIMEOUT = 300
KERNEL_STARTUP_TIMEOUT = 60


@dataclass(frozen=True)
class Outcome:
    """What happened to one notebook."""

    path: Path
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def series(folder: Path = NOTEBOOKS) -> list[Path]:
    """The numbered notebooks of the series, in order."""
    return sorted(folder.glob(SERIES_GLOB))


def _current_env_kernel_manager():
    """A kernel manager whose `python3` kernel is this interpreter's ipykernel.

    A `python3` kernel spec installed elsewhere (user or system Jupyter paths) could point at
    another Python; the notebooks must run with the packages of the environment running this
    script, so the spec is built here instead of looked up.
    """
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    class CurrentEnvKernelSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            if kernel_name == KERNEL_NAME:
                return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())
            return super().get_kernel_spec(kernel_name)

    return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=CurrentEnvKernelSpecs())


def _prepare(nb) -> None:
    """Clear what a previous run left, so counts and outputs come only from this run."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": KERNEL_NAME,
    }
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None


def _tidy(nb) -> None:
    """Drop metadata that changes on every run and teaches nothing."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                # ipykernel stamps some outputs with run-specific transient ids
                output.pop("transient", None)


def _cell_label(nb, index: int) -> str:
    """'code cell 4 (notebook cell 9): first line of source'."""
    code_index = sum(1 for c in nb.cells[:index] if c.cell_type == "code")
    first = nb.cells[index].source.strip().splitlines()[:1]
    head = first[0][:70] if first else ""
    return f"code cell {code_index} (cell {index} of the notebook): {head}"


def _unraised_tagged_cells(nb) -> list[int]:
    """Indexes of cells tagged `raises-exception` whose run produced no error."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and RAISES_TAG in cell.metadata.get("tags", [])
        and cell.source.strip()
        and not any(o.get("output_type") == "error" for o in cell.outputs)
    ]


def execute(path: Path, cell_timeout: int = DEFAULT_CELL_TIMEOUT) -> Outcome:
    """Run one notebook and, if every cell behaved, write it back with its new outputs."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    path = Path(path).resolve()
    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    _prepare(nb)
    client = NotebookClient(
        nb,
        km=_current_env_kernel_manager(),
        timeout=cell_timeout,
        startup_timeout=KERNEL_STARTUP_TIMEOUT,
        allow_errors=False,  # nbclient still lets `raises-exception` cells raise
        record_timing=False,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    failing_cell: list[int] = []

    def remember(cell, cell_index, **_kw):
        failing_cell[:] = [cell_index]

    client.on_cell_execute = remember
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as exc:
        where = _cell_label(nb, failing_cell[0]) if failing_cell else "an unknown cell"
        return Outcome(path, time.perf_counter() - started, f"{where}\n{exc}")
    except Exception as exc:
        return Outcome(
            path,
            time.perf_counter() - started,
            f"the kernel could not run the notebook: {type(exc).__name__}: {exc}",
        )
    silent = _unraised_tagged_cells(nb)
    if silent:
        where = "; ".join(_cell_label(nb, i) for i in silent)
        return Outcome(
            path,
            time.perf_counter() - started,
            f"{where}\nthis cell is tagged {RAISES_TAG!r} but raised nothing; fix the "
            "cell so it shows the error, or remove the tag",
        )
    _tidy(nb)
    nbformat.write(nb, path)
    return Outcome(path, time.perf_counter() - started)


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def run(paths: Sequence[Path], jobs: int = 1, cell_timeout: int = DEFAULT_CELL_TIMEOUT) -> int:
    """Execute `paths` with `jobs` worker processes; print a line per notebook; 0 if all ran."""
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    if jobs <= 1 or len(paths) <= 1:
        for path in paths:
            outcome = execute(path, cell_timeout)
            _report(outcome)
            outcomes.append(outcome)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(execute, path, cell_timeout) for path in paths]
            for future in futures:
                outcome = future.result()
                _report(outcome)
                outcomes.append(outcome)
    failed = [o for o in outcomes if not o.ok]
    total = time.perf_counter() - started
    print(
        f"{len(outcomes) - len(failed)} of {len(outcomes)} notebooks executed in {total:.1f} s",
        flush=True,
    )
    for outcome in failed:
        print(f"FAILED {_relative(outcome.path)}: {outcome.error}", file=sys.stderr, flush=True)
    return 1 if failed else 0


def _report(outcome: Outcome) -> None:
    status = "ok    " if outcome.ok else "FAILED"
    print(f"{status} {outcome.seconds:6.1f} s  {_relative(outcome.path)}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Execute notebooks in place with a fresh kernel from this environment.",
        epilog="example: python scripts/run_notebooks.py -j 2",
    )
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=Path,
        help=f"notebooks to execute (default: notebooks/{SERIES_GLOB})",
    )
    parser.add_argument("-j", "--jobs", type=int, default=1, help="notebooks run at once")
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_CELL_TIMEOUT,
        help=f"seconds one cell may run (default {DEFAULT_CELL_TIMEOUT})",
    )
    args = parser.parse_args(argv)
    paths = list(args.notebooks) or series()
    if not paths:
        print(f"no notebooks match {NOTEBOOKS / SERIES_GLOB}", file=sys.stderr)
        return 1
    missing = [p for p in paths if not p.is_file()]
    if missing:
        print("no such notebook: " + ", ".join(map(str, missing)), file=sys.stderr)
        return 2
    return run(paths, jobs=max(1, args.jobs), cell_timeout=args.timeout)


if __name__ == "__main__":
    sys.exit(main())
