"""Errors raised by jslab.

Every error says what happened, why, and what to do next. This module imports nothing from
the rest of jslab, so every layer can raise these.
"""

from __future__ import annotations

__all__ = ["JslabError"]


class JslabError(Exception):
    """Base class of every error jslab raises."""
