"""Checks for 08-acknowledgement.

    >>> jslab.check.ex("08.1", lab)
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise


def _stream(lab, name: str, what: str):
    try:
        return lab.stream_info(name)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: {what}") from None


def _consumer(lab, stream: str, name: str, what: str):
    if name not in lab.consumer_names(stream):
        raise NotYet(f"{stream} has no consumer {name} yet: {what}")
    return lab.consumer_info(stream, name)


def _retention(info) -> str:
    value = info.config.retention
    return str(getattr(value, "value", value) or "limits")


@exercise("08.1", "a consumer that redelivers after 1 s then 2 s, at most 3 deliveries")
def backoff_consumer(lab) -> str:
    _stream(lab, "EX_RETRY", "the exercise starts with a stream that captures ex.retry.")
    ci = _consumer(lab, "EX_RETRY", "patient",
                   "a durable consumer whose redeliveries follow a schedule.")
    backoff = [round(b, 3) for b in (ci.config.backoff or [])]
    if backoff != [1.0, 2.0]:
        shown = ", ".join(f"{b:g} s" for b in backoff) if backoff else "not set"
        raise NotYet(f"patient's backoff is {shown}; the first redelivery should come 1 s after an "
                     "unanswered delivery, every later one 2 s after (the last delay repeats).")
    if ci.config.max_deliver != 3:
        shown = "unlimited" if ci.config.max_deliver in (None, -1) else ci.config.max_deliver
        raise NotYet(f"patient's max_deliver is {shown}; each message should be delivered at "
                     "most 3 times (the first delivery counts).")
    return "patient redelivers after 1 s, then 2 s, and gives up after 3 deliveries."


@exercise("08.2", "process three messages one at a time (max_ack_pending=1)")
def serial_consumer(lab) -> str:
    info = _stream(lab, "EX_SERIAL", "the exercise starts with a stream that captures ex.serial.")
    if info.state.messages < 3:
        raise NotYet(f"EX_SERIAL holds {info.state.messages} messages; publish three.")
    ci = _consumer(lab, "EX_SERIAL", "one_by_one",
                   "a durable consumer that hands out one message at a time.")
    if ci.config.max_ack_pending != 1:
        raise NotYet(f"one_by_one allows {ci.config.max_ack_pending} unacknowledged messages out "
                     "at once; strictly one at a time means the server waits for each ack before "
                     "it hands out the next (the cap on messages awaiting an ack).")
    if ci.ack_floor.stream_seq < info.state.last_seq:
        raise NotYet(f"one_by_one has acknowledged up to sequence {ci.ack_floor.stream_seq} of "
                     f"{info.state.last_seq}: keep fetching and acking until all are done.")
    return f"one_by_one processed all {info.state.messages} messages, one at a time."


@exercise("08.3", "dead-letter a poison message of a work-queue stream: copy it, then term it")
def dead_letter(lab) -> str:
    jobs = _stream(lab, "EX_JOBS", "the jobs live in a work-queue stream on ex.jobs.")
    if _retention(jobs) != "workqueue":
        raise NotYet(f"EX_JOBS keeps its messages by {_retention(jobs)} retention; this exercise "
                     "is about a work-queue stream, where a term removes the message.")
    ci = _consumer(lab, "EX_JOBS", "fragile", "a durable consumer that allows 2 deliveries.")
    if ci.config.max_deliver != 2:
        raise NotYet(f"fragile's max_deliver is {ci.config.max_deliver}; it should be 2.")
    if jobs.state.last_seq == 0:
        raise NotYet("EX_JOBS has never stored a message: publish 'bad' to ex.jobs.")
    if jobs.state.messages:
        first = jobs.state.first_seq
        if ci.ack_floor.stream_seq >= first or (ci.delivered.stream_seq >= first
                                                 and not ci.num_ack_pending):
            raise NotYet(f"fragile gave up on EX_JOBS #{first} and the work queue still holds "
                         "it: nothing will ever deliver or remove it. Copy it and term it at its "
                         "last allowed delivery instead (to try again, remove the consumer: a "
                         "new one is handed the message again).")
        raise NotYet(f"EX_JOBS still holds {jobs.state.messages} message(s): fetch and fail "
                     "until the last delivery max_deliver allows, then dead-letter it.")
    dlq = _stream(lab, "EX_DLQ", "the copies go to a stream of their own on ex.dlq.")
    copies = 0
    if dlq.state.messages:
        for seq in range(dlq.state.first_seq, dlq.state.last_seq + 1):
            try:
                if lab.get_msg("EX_DLQ", seq).raw == b"bad":
                    copies += 1
            except Exception:  # a gap: deleted in between
                continue
    if not copies:
        raise NotYet("EX_JOBS is empty but EX_DLQ holds no copy of 'bad': on a work-queue stream "
                     "the term removed it, so the copy has to be made before the term.")
    return ("EX_DLQ holds a copy of 'bad', and the work queue EX_JOBS is empty: nothing is "
            "stuck.")
