"""Checks for 04-limits-and-discard.

    >>> jslab.check.ex("04.1", lab)
    ✓ 04.1 passed: DEVICES keeps the newest 3 on devices.d1.status (older ones were discarded).
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise


def _value(v) -> str:
    return str(getattr(v, "value", v))


def _stream(lab, name: str, subjects: str, what: str):
    try:
        return lab.stream_info(name)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: create one that captures {subjects} "
                     f"and {what}.") from None


@exercise("04.1", "stream DEVICES keeps at most 3 messages per subject")
def per_subject(lab) -> str:
    info = _stream(lab, "DEVICES", "devices.>", "keeps only the newest few messages of each "
                   "subject (section 'max_msgs_per_subject')")
    if info.config.max_msgs_per_subject != 3:
        raise NotYet(f"DEVICES has max_msgs_per_subject={info.config.max_msgs_per_subject}, so it "
                     "does not keep the newest 3 of each subject; a stream's limits can be "
                     "changed after creation.")
    info = lab.stream_info("DEVICES", subjects_filter="devices.d1.status")
    kept = (info.state.subjects or {}).get("devices.d1.status", 0)
    published = info.state.last_seq
    if published < 5:
        raise NotYet(f"only {published} messages were published to DEVICES; publish 5 to "
                     "devices.d1.status so the limit has to remove the oldest.")
    if kept != 3:
        raise NotYet(f"devices.d1.status holds {kept} messages; publish at least 5 there.")
    return "DEVICES keeps the newest 3 on devices.d1.status (older ones were discarded)."


@exercise("04.2", "stream INBOX holds 4 messages and refuses more")
def bounded_queue(lab) -> str:
    info = _stream(lab, "INBOX", "inbox.>", "holds at most 4 messages, refusing more "
                   "(section 'Discard old vs discard new')")
    if info.config.max_msgs != 4:
        raise NotYet(f"INBOX has max_msgs={info.config.max_msgs}; it should hold at most 4.")
    if _value(info.config.discard) != "new":
        raise NotYet("INBOX makes room by dropping its oldest messages when full (the default "
                     "discard policy); it should refuse the new ones instead (section "
                     "'Discard old vs discard new').")
    if info.state.messages < 4:
        raise NotYet(f"INBOX holds {info.state.messages} of 4 messages; fill it.")
    return "INBOX is full (4 messages) and refuses new publishes."


@exercise("04.3", "stream TAPE with 6 messages and sequence 4 deleted")
def gap(lab) -> str:
    info = _stream(lab, "TAPE", "tape.>", "holds 6 messages")
    s = info.state
    if s.last_seq < 6:
        raise NotYet(f"TAPE's last sequence is {s.last_seq}; publish 6 messages.")
    deleted = set(lab.snapshot("TAPE").deleted)
    if 4 not in deleted:
        raise NotYet("sequence 4 is still there: remove that one message, and only that one "
                     "(section 'Delete one message').")
    others = sorted(d for d in deleted if d <= 6 and d != 4)
    if others or s.first_seq != 1:
        raise NotYet(f"only sequence 4 should be missing among 1..6; also gone: "
                     f"{others or list(range(1, s.first_seq))}. Start over with a new TAPE.")
    return "TAPE has a gap at sequence 4 and everything else from 1 to 6."
