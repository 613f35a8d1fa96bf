"""Checks for 06-consumers.

    >>> jslab.check.ex("06.1", lab)
    ✓ 06.1 passed: nightly-report is durable and expires after 3600 s unused.
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise


def _consumer(lab, stream: str, name: str):
    try:
        lab.stream_info(stream)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {stream} yet: create it on "
                     f"{stream.lower()}.> first.") from None
    if name not in lab.consumer_names(stream):
        raise NotYet(f"there is no consumer {name!r} on {stream} (if you created an ephemeral, "
                     "it may have expired already: create it again).")
    return lab.consumer_info(stream, name)


@exercise("06.1", "a durable consumer that expires after one hour unused")
def nightly(lab) -> str:
    info = _consumer(lab, "REPORTS", "nightly-report")
    if info.config.durable_name != "nightly-report":
        raise NotYet("nightly-report is not durable: it was created as a named ephemeral. "
                     "The exercise wants a durable one (section 'Durable consumers persist').")
    threshold = info.config.inactive_threshold
    if not threshold:
        raise NotYet("nightly-report never expires: a durable stays until it is deleted, unless "
                     "it has an inactivity threshold (section 'Durables can expire too').")
    if abs(threshold - 3600) > 1:
        raise NotYet(f"nightly-report expires after {threshold:g} s unused; one hour is 3600 s.")
    return "nightly-report is durable and expires after 3600 s unused."


@exercise("06.2", "a named ephemeral without acks that read everything")
def browse(lab) -> str:
    info = _consumer(lab, "REPORTS", "browse")
    if info.config.durable_name:
        raise NotYet("browse is durable; the exercise wants a named ephemeral, which the "
                     "server removes by itself (section 'Ephemeral consumers vanish').")
    threshold = info.config.inactive_threshold or 0
    if abs(threshold - 60) > 1:
        raise NotYet(f"browse expires after {threshold:g} s unused (the server's default when "
                     "none is given); the exercise asks for 60 s.")
    policy = getattr(info.config.ack_policy, "value", info.config.ack_policy)
    if policy != "none":
        raise NotYet(f"browse uses ack_policy={policy!r}: the server waits for an ack of every "
                     "message. A consumer that only looks needs no acks at all.")
    last = lab.stream_info("REPORTS").state.last_seq
    if last < 3:
        raise NotYet(f"REPORTS holds {last} messages; publish three to reports.daily.")
    if info.delivered.stream_seq < last:
        raise NotYet(f"browse has read up to seq {info.delivered.stream_seq} of {last}: fetch "
                     "the rest.")
    return f"browse read all {last} messages without acks and expires after 60 s unused."
