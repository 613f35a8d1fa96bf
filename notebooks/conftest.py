"""How `pytest --nbval` compares the notebooks of this folder.

- stderr is not compared. What a cell teaches is on stdout and in its results; stderr carries
  library warnings and log lines whose wording changes with versions and timing. nbval 0.11
  compares every stream, so each notebook cell's comparison drops `stderr` stream outputs on
  both sides (the recorded notebook and the fresh run) before comparing the rest, which stays
  strict.
- with pytest-xdist, a notebook's cells must all run on one worker in order (one kernel per
  notebook), so only `--dist loadfile` or `--dist loadscope` are accepted.

Example::

    .venv/bin/python -m pytest --nbval --nbval-current-env \\
        --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/01-streams.ipynb
"""

from __future__ import annotations

import pytest

_SAFE_DIST_MODES = ("no", "loadfile", "loadscope")


def without_stderr(outputs):
    """`outputs` minus the stream outputs written to stderr."""
    return [
        out
        for out in outputs
        if not (out.get("output_type") == "stream" and out.get("name") == "stderr")
    ]


def _compare_without_stderr(compare):
    def compare_outputs(test, ref, skip_compare=None):
        return compare(without_stderr(test), without_stderr(ref), skip_compare)

    compare_outputs.__wrapped__ = compare
    return compare_outputs


def pytest_configure(config):
    nbval_on = getattr(config.option, "nbval", False) or getattr(config.option, "nbval_lax", False)
    dist = getattr(config.option, "dist", "no")
    if nbval_on and getattr(config.option, "numprocesses", None) and dist not in _SAFE_DIST_MODES:
        raise pytest.UsageError(
            f"--dist {dist} would spread one notebook's cells over several workers, which "
            "run them in separate kernels; use --dist loadfile with --nbval"
        )


def pytest_itemcollected(item):
    # Imported here so a run without nbval installed can still use this folder's conftest.
    from nbval.plugin import IPyNbCell

    if isinstance(item, IPyNbCell) and not hasattr(item.compare_outputs, "__wrapped__"):
        item.compare_outputs = _compare_without_stderr(item.compare_outputs)
