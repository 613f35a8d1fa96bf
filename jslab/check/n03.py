"""Checks for 03-subjects-and-streams."""

from __future__ import annotations

from ..names import subject_matches
from . import NotYet, exercise, require_stream

_SHOULD_MATCH = ("metrics.kitchen.temp", "metrics.attic.humidity")
_SHOULD_NOT = ("metrics.kitchen.temp.raw", "metrics.kitchen", "metrics.kitchen.pressure",
               "metrics.a.b.temp")


@exercise("03.1", "stream METRICS captures metrics.<room>.temp and .humidity only")
def sensor_stream(lab) -> str:
    info = require_stream(lab, "METRICS", extra="subjects=[...]", subjects_filter=">")
    subjects = info.config.subjects or []
    for s in _SHOULD_MATCH:
        if not any(subject_matches(f, s) for f in subjects):
            raise NotYet(f"METRICS ({subjects}) does not capture {s!r}; "
                         "use '*' for the room token.")
    for s in _SHOULD_NOT:
        if any(subject_matches(f, s) for f in subjects):
            raise NotYet(f"METRICS ({subjects}) also captures {s!r}; capture only "
                         "metrics.<room>.temp and metrics.<room>.humidity ('*', not '>').")
    stored = info.state.subjects or {}
    for kind in ("temp", "humidity"):
        if not any(subj.endswith("." + kind) for subj in stored):
            raise NotYet(f"no {kind} reading stored yet: publish one, e.g. to "
                         f"'metrics.kitchen.{kind}'.")
    return f"METRICS captures {subjects} and holds {info.state.messages} readings."


@exercise("03.2", "file stream LEDGER with three entries on ledger.acct.7, last balance 30")
def ledger(lab) -> str:
    info = require_stream(lab, "LEDGER", 'ledger.>', subjects_filter="ledger.acct.7")
    if str(getattr(info.config.storage, "value", info.config.storage)) != "file":
        raise NotYet("LEDGER uses memory storage, which a restart loses; "
                     "delete it and create it with storage='file' (the default).")
    if not any(subject_matches(f, "ledger.acct.7") for f in info.config.subjects or []):
        raise NotYet(f"LEDGER captures {info.config.subjects}; it should capture 'ledger.>'.")
    count = (info.state.subjects or {}).get("ledger.acct.7", 0)
    if count < 3:
        raise NotYet(f"ledger.acct.7 has {count} entries; publish three.")
    last = lab.get_last_msg("LEDGER", "ledger.acct.7")
    if last.data != {"balance": 30}:
        raise NotYet(f"the last entry on ledger.acct.7 is {last.data!r}; "
                     "it should be {'balance': 30}.")
    return f"LEDGER (file) holds {count} entries on ledger.acct.7, the last at seq {last.seq}."
