"""Checks for 08-acknowledgement.

    >>> jslab.check.ex("08.1", lab)
"""

from __future__ import annotations

from . import NotYet, exercise, require_stream


def _stream(lab, name: str, subject: str):
    return require_stream(lab, name, subject)


def _consumer(lab, stream: str, name: str, how: str):
    if name not in lab.consumer_names(stream):
        raise NotYet(f"{stream} has no consumer {name} yet: lab.add_consumer({stream!r}, "
                     f"{name!r}, {how}).")
    return lab.consumer_info(stream, name)


@exercise("08.1", "a consumer that redelivers after 1 s then 2 s, at most 3 deliveries")
def backoff_consumer(lab) -> str:
    _stream(lab, "EX_RETRY", "ex.retry")
    ci = _consumer(lab, "EX_RETRY", "patient", "backoff=[...], max_deliver=...")
    backoff = [round(b, 3) for b in (ci.config.backoff or [])]
    if backoff != [1.0, 2.0]:
        raise NotYet(f"patient's backoff is {backoff or 'not set'}; the redeliveries should come "
                     "after 1 s and then 2 s: backoff=[1, 2].")
    if ci.config.max_deliver != 3:
        raise NotYet(f"patient's max_deliver is {ci.config.max_deliver}; each message should be "
                     "delivered at most 3 times.")
    return "patient redelivers after 1 s, then 2 s, and gives up after 3 deliveries."


@exercise("08.2", "process three messages one at a time (max_ack_pending=1)")
def serial_consumer(lab) -> str:
    info = _stream(lab, "EX_SERIAL", "ex.serial")
    if info.state.messages < 3:
        raise NotYet(f"EX_SERIAL holds {info.state.messages} messages; publish three.")
    ci = _consumer(lab, "EX_SERIAL", "one_by_one", "max_ack_pending=1")
    if ci.config.max_ack_pending != 1:
        raise NotYet(f"one_by_one allows {ci.config.max_ack_pending} unacknowledged messages at "
                     "once; strictly one at a time is max_ack_pending=1.")
    if ci.ack_floor.stream_seq < info.state.last_seq:
        raise NotYet(f"one_by_one has acknowledged up to sequence {ci.ack_floor.stream_seq} of "
                     f"{info.state.last_seq}: keep fetching and acking until all are done.")
    return f"one_by_one processed all {info.state.messages} messages, one at a time."


@exercise("08.3", "copy the message max_deliver gave up on into a dead-letter stream")
def dead_letter(lab) -> str:
    jobs = _stream(lab, "EX_JOBS", "ex.jobs")
    ci = _consumer(lab, "EX_JOBS", "fragile", "max_deliver=2")
    if ci.config.max_deliver != 2:
        raise NotYet(f"fragile's max_deliver is {ci.config.max_deliver}; it should be 2.")
    # Given up on: delivered (twice) but neither acked nor waiting any more.
    given_up = {}
    for seq in range(jobs.state.first_seq or 1, jobs.state.last_seq + 1):
        if ci.ack_floor.stream_seq < seq <= ci.delivered.stream_seq:
            given_up[seq] = lab.get_msg("EX_JOBS", seq).raw
    if not given_up or ci.num_ack_pending or ci.num_redelivered < 1:
        raise NotYet("fragile has not given up on a message yet: publish 'bad' to ex.jobs and "
                     "nak it on every delivery until fetch returns nothing.")
    dlq = _stream(lab, "EX_DLQ", "ex.dlq")
    copies = set()
    for seq in range(dlq.state.first_seq or 1, dlq.state.last_seq + 1):
        if dlq.state.messages:
            copies.add(lab.get_msg("EX_DLQ", seq).raw)
    found = [seq for seq, raw in given_up.items() if raw in copies]
    if not found:
        raise NotYet("EX_DLQ holds no copy of the message fragile gave up on: read stream_seq "
                     "from the MAX_DELIVERIES advisory and publish that message to ex.dlq.")
    return f"EX_DLQ holds a copy of EX_JOBS #{found[0]}, which fragile gave up on."
