"""Colours and marks shared by every view: the tape, the HTML strip and the dashboard.

A subject keeps one colour everywhere: its colour comes from a hash of the subject string into
a fixed palette, so ``orders.new`` looks the same in every panel, every notebook and the live
dashboard. Only when two subjects of one picture hash to the same colour does the later one
(by name) take the next free colour, so no picture shows two subjects alike.

    >>> subject_colors(["orders.new", "orders.paid"])
    {'orders.new': '#...', 'orders.paid': '#...'}
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from ..states import STATES

__all__ = ["NEUTRAL", "PALETTE", "STATE_STYLES", "StateStyle", "subject_color",
           "subject_colors"]

#: Subject colours: none of them is a state colour of the consumer rows (green, orange, red).
PALETTE = (
    "#4e79a7", "#edc948", "#b07aa1", "#76b7b2", "#ff9da7", "#9c755f",
    "#d37295", "#499894", "#a0cbe8", "#d4a6c8", "#2f4858", "#6b6ecf",
)
#: Stored messages whose subject was not loaded.
NEUTRAL = "#9aa5b1"
GAP_EDGE = "#9aa0a6"
# Chosen once so that the subjects of each stream in the notebook series get distinct colours.
_SEED = b"556"


def subject_color(subject: str) -> str:
    """The colour a subject gets when nothing else in the picture claims it."""
    return PALETTE[zlib.crc32(_SEED + subject.encode()) % len(PALETTE)]


def subject_colors(subjects: Iterable[str]) -> dict[str, str]:
    """Colours for the subjects of one picture: each its own, collisions moved along."""
    taken: dict[int, str] = {}
    out: dict[str, str] = {}
    n = len(PALETTE)
    for s in sorted(set(subjects)):
        slot = zlib.crc32(_SEED + s.encode()) % n
        for step in range(n):
            if (slot + step) % n not in taken:
                slot = (slot + step) % n
                break
        else:  # more subjects than colours: share
            slot = slot % n
        taken.setdefault(slot, s)
        out[s] = PALETTE[slot]
    return out


class StateStyle(NamedTuple):
    """How a consumer-row state is drawn: fill, edge, hatch, height (share of the row) and
    the ink of text written on it."""

    face: str
    edge: str
    hatch: str = ""
    height: float = 1.0
    ink: str = "#1f2d3d"


STATE_STYLES: Mapping[str, StateStyle] = {
    "before_start": StateStyle("#e6e9ec", "none"),
    "not_matched": StateStyle("#cfd5da", "none", height=0.22),
    "acked": StateStyle("#8fc98a", "#5e9e59"),
    "acked_above_floor": StateStyle("#8fc98a", "#2f6b2b", hatch="++"),
    "delivered_no_ack": StateStyle("#b9ddb5", "#86b681"),
    "done_unseen": StateStyle("#e3ebe0", "#a3b39f", hatch="...."),
    "pending": StateStyle("#f28e2b", "white", ink="#1f2d3d"),
    "redelivered": StateStyle("#d64541", "white", ink="white"),
    "given_up": StateStyle("#6d2b57", "white", ink="white"),
    "terminated": StateStyle("#4b5563", "white", ink="white"),
    "unknown": StateStyle("white", "#8a949e", hatch="", ink="#5f6b76"),
    "unprocessed": StateStyle("#d6e6f5", "#8fb3d9"),
    "removed": StateStyle("none", "none", height=0.0),
}

assert set(STATE_STYLES) == set(STATES)
