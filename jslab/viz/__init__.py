"""Views of snapshots: text, HTML, the matplotlib tape, and diffs.

Every view takes `StreamSnapshot` objects, never a server connection. A snapshot displays
itself through these (``print(snap)``, rich HTML in a notebook, ``snap.tape()``).

    >>> from jslab.viz import render_text, diff_snapshots
    >>> print(render_text(snap))
"""

from .diff import Change, SnapshotDiff, diff_snapshots
from .html import render_html
from .text import render_text

__all__ = ["Change", "SnapshotDiff", "diff_snapshots", "render_html", "render_text"]
