"""Short tracebacks for learners: a kit error shows the learner's own lines, not the kit's.

IPython (Jupyter) asks an exception for ``_render_traceback_()`` before formatting it; every
``JslabError`` answers with its traceback minus the frames of jslab's own files, so a failing
cell shows the cell's line, then the error and its hint. The full traceback stays on the
exception (``err.__traceback__``), and plain Python and pytest are untouched.
"""

from __future__ import annotations

import types
from pathlib import Path

__all__ = ["render", "user_frames"]

_KIT = str(Path(__file__).resolve().parent)


def user_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The traceback ``tb`` without the frames of jslab's own files (a new chain)."""
    kept: list[types.TracebackType] = []
    while tb is not None:
        if not str(Path(tb.tb_frame.f_code.co_filename).resolve()).startswith(_KIT):
            kept.append(tb)
        tb = tb.tb_next
    chain = None
    for t in reversed(kept):
        chain = types.TracebackType(chain, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return chain


def render(error: BaseException) -> list[str]:
    """IPython's structured traceback of ``error`` with the kit's frames left out."""
    from IPython import get_ipython

    shell = get_ipython()
    tb = user_frames(error.__traceback__) or error.__traceback__
    return shell.InteractiveTB.structured_traceback(type(error), error, tb)
