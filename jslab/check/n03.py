"""Checks for 03-subjects-and-streams."""

from __future__ import annotations

from ..names import subject_matches
from . import NotYet, exercise


def _stream(lab, name: str, how: str, subjects_filter: str):
    from ..errors import StreamNotFoundError

    try:
        return lab.stream_info(name, subjects_filter=subjects_filter)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: {how}") from None


_SHOULD_MATCH = ("metrics.kitchen.temp", "metrics.attic.humidity")
_SHOULD_NOT = ("metrics.kitchen.temp.raw", "metrics.kitchen", "metrics.kitchen.pressure",
               "metrics.a.b.temp")


@exercise("03.1", "stream METRICS captures metrics.<room>.temp and .humidity only")
def sensor_stream(lab) -> str:
    info = _stream(lab, "METRICS", "create it with subjects that take any single-token room "
                   "before 'temp' or 'humidity'.", ">")
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
            raise NotYet(f"no {kind} reading stored yet: publish one, to a "
                         f"metrics.<room>.{kind} subject.")
    return f"METRICS captures {subjects} and holds {info.state.messages} readings."


@exercise("03.2", "file stream LEDGER with three entries on ledger.acct.7, last balance 30")
def ledger(lab) -> str:
    info = _stream(lab, "LEDGER", "create it, capturing every subject that starts with "
                   "'ledger.', on disk.", "ledger.acct.7")
    if str(getattr(info.config.storage, "value", info.config.storage)) != "file":
        raise NotYet("LEDGER uses memory storage, which a restart loses. A stream's storage "
                     "is fixed when it is created: delete it and create it again as a file "
                     "stream (the default).")
    if not any(subject_matches(f, "ledger.acct.7") for f in info.config.subjects or []):
        raise NotYet(f"LEDGER captures {info.config.subjects}; it should capture 'ledger.>'.")
    count = (info.state.subjects or {}).get("ledger.acct.7", 0)
    if count < 3:
        raise NotYet(f"ledger.acct.7 has {count} entries; publish three.")
    last = lab.get_last_msg("LEDGER", "ledger.acct.7")
    if last.data != {"balance": 30}:
        raise NotYet(f"the last entry on ledger.acct.7 is {last.data!r}; "
                     "it should be {'balance': 30}.")
    return (f"LEDGER (file, kept across restarts) holds {count} entries on ledger.acct.7, "
            f"the last at seq {last.seq}.")
