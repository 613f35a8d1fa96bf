"""Matplotlib figures that display inline in Jupyter and leak nothing.

A figure made by pyplot and closed at once: Jupyter's inline formatter shows it as a PNG (a
bare ``Figure()`` displays as text until pyplot has loaded its backend), and pyplot keeps no
reference, so nothing leaks and no later cell shows it again. Off the main thread, before
pyplot is loaded (e.g. the dashboard's refresh thread), a plain Figure is made instead.

    >>> fig = new_figure(10, 3)
"""

from __future__ import annotations

import sys
import threading
from typing import Any

from matplotlib.figure import Figure

__all__ = ["new_figure"]

_pyplot_lock = threading.Lock()


def new_figure(width: float, height: float, **kwargs: Any) -> Figure:
    """A white figure of ``width`` x ``height`` inches (extra kwargs go to the Figure)."""
    kwargs.setdefault("facecolor", "white")
    if "matplotlib.pyplot" not in sys.modules and threading.current_thread() is not \
            threading.main_thread():
        return Figure(figsize=(width, height), **kwargs)
    import matplotlib.pyplot as plt

    with _pyplot_lock:
        fig = plt.figure(figsize=(width, height), **kwargs)
        plt.close(fig)
    return fig
