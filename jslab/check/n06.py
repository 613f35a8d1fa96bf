"""Checks for 06-consumers.

    >>> jslab.check.ex("06.1", lab)
    ✓ 06.1 passed: nightly-report is durable and expires after 3600 s unused.
"""

from __future__ import annotations

from . import NotYet, exercise, require_stream


def _consumer(lab, stream: str, name: str):
    require_stream(lab, stream, f"{stream.lower()}.>")
    if name not in lab.consumer_names(stream):
        raise NotYet(f"there is no consumer {name!r} on {stream} (if you created an ephemeral, "
                     "it may have expired already: create it again).")
    return lab.consumer_info(stream, name)


@exercise("06.1", "a durable consumer that expires after one hour unused")
def nightly(lab) -> str:
    info = _consumer(lab, "REPORTS", "nightly-report")
    if info.config.durable_name != "nightly-report":
        raise NotYet("nightly-report is not durable: create it with "
                     "lab.add_consumer('REPORTS', 'nightly-report', ...), not name=.")
    threshold = info.config.inactive_threshold
    if not threshold:
        raise NotYet("nightly-report never expires: give it inactive_threshold=3600 (seconds).")
    if abs(threshold - 3600) > 1:
        raise NotYet(f"nightly-report expires after {threshold:g} s unused; one hour is 3600.")
    return "nightly-report is durable and expires after 3600 s unused."


@exercise("06.2", "a named ephemeral without acks that read everything")
def browse(lab) -> str:
    info = _consumer(lab, "REPORTS", "browse")
    if info.config.durable_name:
        raise NotYet("browse is durable: create it with name='browse' instead of a durable name.")
    threshold = info.config.inactive_threshold or 0
    if abs(threshold - 60) > 1:
        raise NotYet(f"browse expires after {threshold:g} s unused; set inactive_threshold=60.")
    policy = getattr(info.config.ack_policy, "value", info.config.ack_policy)
    if policy != "none":
        raise NotYet(f"browse uses ack_policy={policy!r}; use ack_policy='none'.")
    last = lab.stream_info("REPORTS").state.last_seq
    if last < 3:
        raise NotYet(f"REPORTS holds {last} messages; publish three to reports.daily.")
    if info.delivered.stream_seq < last:
        raise NotYet(f"browse has read up to seq {info.delivered.stream_seq} of {last}: fetch "
                     "the rest.")
    return f"browse read all {last} messages without acks and expires after 60 s unused."
