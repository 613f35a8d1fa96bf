"""Checks for 04-limits-and-discard."""

from __future__ import annotations

from . import NotYet, exercise, require_stream


def _value(v) -> str:
    return str(getattr(v, "value", v))


def _stream(lab, name: str, subjects: str):
    return require_stream(lab, name, subjects, extra="...")


@exercise("04.1", "stream DEVICES keeps at most 3 messages per subject")
def per_subject(lab) -> str:
    info = _stream(lab, "DEVICES", "devices.>")
    if info.config.max_msgs_per_subject != 3:
        raise NotYet(f"DEVICES has max_msgs_per_subject={info.config.max_msgs_per_subject}; "
                     "set it to 3 (lab.update_stream works too).")
    info = lab.stream_info("DEVICES", subjects_filter="devices.d1.status")
    kept = (info.state.subjects or {}).get("devices.d1.status", 0)
    published = info.state.last_seq
    if published < 5:
        raise NotYet(f"only {published} messages were published to DEVICES; publish 5 to "
                     "devices.d1.status so the limit removes the oldest.")
    if kept != 3:
        raise NotYet(f"devices.d1.status holds {kept} messages; publish at least 5 there.")
    return "DEVICES keeps the newest 3 on devices.d1.status (older ones were discarded)."


@exercise("04.2", "stream INBOX holds 4 messages and refuses more")
def bounded_queue(lab) -> str:
    info = _stream(lab, "INBOX", "inbox.>")
    if info.config.max_msgs != 4:
        raise NotYet(f"INBOX has max_msgs={info.config.max_msgs}; it should hold at most 4.")
    if _value(info.config.discard) != "new":
        raise NotYet("INBOX drops its oldest messages when full (discard='old'); "
                     "make it refuse new ones with discard='new'.")
    if info.state.messages < 4:
        raise NotYet(f"INBOX holds {info.state.messages} of 4 messages; fill it.")
    return "INBOX is full (4 messages) and refuses new publishes."


@exercise("04.3", "stream TAPE with 6 messages and sequence 4 deleted")
def gap(lab) -> str:
    info = _stream(lab, "TAPE", "tape.>")
    s = info.state
    if s.last_seq < 6:
        raise NotYet(f"TAPE's last sequence is {s.last_seq}; publish 6 messages.")
    deleted = set(lab.snapshot("TAPE").deleted)
    if 4 not in deleted:
        raise NotYet("sequence 4 is still there: lab.delete_msg('TAPE', 4).")
    others = sorted(d for d in deleted if d <= 6 and d != 4)
    if others or s.first_seq != 1:
        raise NotYet(f"only sequence 4 should be missing among 1..6; also gone: "
                     f"{others or list(range(1, s.first_seq))}. Start over with a new TAPE.")
    return "TAPE has a gap at sequence 4 and everything else from 1 to 6."
