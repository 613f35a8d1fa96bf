"""Checks for 20-work-queues.

    >>> jslab.check.ex("20.1", lab)
    ✓ 20.1 passed: crew drained all 12 tasks of EX_QUEUE; the queue is empty.
"""

from __future__ import annotations

import re

from ..errors import StreamNotFoundError
from . import NotYet, exercise

_WORKQUEUE = "the retention that removes a message once it is acked (notebook 05)"


def _workqueue(lab, name: str, subjects: str):
    try:
        info = lab.stream_info(name, subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: create it on {subjects} with "
                     f"{_WORKQUEUE}.") from None
    retention = getattr(info.config.retention, "value", info.config.retention)
    if retention != "workqueue":
        raise NotYet(f"{name} has retention={retention!r}; a work queue needs {_WORKQUEUE}. "
                     "Retention cannot be switched to or from work queue later: delete the "
                     "stream and create it again.")
    return info


def _consumer(lab, stream: str, name: str, what: str):
    if name not in lab.consumer_names(stream):
        raise NotYet(f"{stream} has no consumer {name!r} yet: add it, {what}.")
    return lab.consumer_info(stream, name)


def _filters(info) -> list[str]:
    return [f for f in [info.config.filter_subject, *(info.config.filter_subjects or [])] if f]


@exercise("20.1", "a work queue drained by competing workers")
def crew(lab) -> str:
    info = _workqueue(lab, "EX_QUEUE", "ex.queue.>")
    ci = _consumer(lab, "EX_QUEUE", "crew", "without a filter, shared by all the workers")
    if _filters(ci):
        raise NotYet(f"crew filters on {_filters(ci)}; the workers of one queue share one "
                     "consumer without a filter.")
    if info.state.last_seq < 12:
        raise NotYet(f"{info.state.last_seq} task(s) were published to EX_QUEUE; publish 12 to "
                     "ex.queue.task.")
    lab.flush()
    info = lab.stream_info("EX_QUEUE")
    ci = lab.consumer_info("EX_QUEUE", "crew")
    if ci.delivered.stream_seq < info.state.last_seq:
        raise NotYet(f"crew has delivered up to seq {ci.delivered.stream_seq} of "
                     f"{info.state.last_seq}: start the worker threads on it (section "
                     "'Competing workers').")
    if info.state.messages:
        raise NotYet(f"EX_QUEUE still holds {info.state.messages} task(s): on a work queue only "
                     "the ack removes a task; let the workers ack each one.")
    return (f"crew drained all {info.state.last_seq} tasks of EX_QUEUE; the queue is empty and "
            f"crew's ack floor is {ci.ack_floor.stream_seq}.")


_SHARD = re.compile(r"^ex\.shards\.([01])\.[^.]+$")


@exercise("20.2", "partitions mapped by the server, one consumer each")
def shards(lab) -> str:
    info = _workqueue(lab, "EX_SHARDS", "ex.shards.*")
    transform = info.config.subject_transform
    dest = getattr(transform, "dest", None) or ""
    if "partition(2" not in dest.replace(" ", "").lower():
        raise NotYet(f"EX_SHARDS stores subjects as they come (transform {dest or 'none'}); "
                     "give it a subject transform that puts the server's partition number "
                     "(2 partitions, from the customer token) before the customer (section "
                     "'The server maps the partitions').")
    for p in (0, 1):
        ci = _consumer(lab, "EX_SHARDS", f"shard-{p}", f"filtered on partition {p}")
        if _filters(ci) != [f"ex.shards.{p}.>"]:
            raise NotYet(f"shard-{p} filters on {_filters(ci) or 'nothing'}; it should take "
                         f"exactly the subjects of partition {p}.")
    if info.state.last_seq < 6:
        raise NotYet(f"{info.state.last_seq} order(s) were published; publish one for each of "
                     "six customers to ex.shards.<customer>.")
    lab.flush()
    subjects = lab.stream_info("EX_SHARDS", subjects_filter=">").state.subjects or {}
    odd = sorted(s for s in subjects if not _SHARD.match(s))
    if odd:
        raise NotYet(f"EX_SHARDS holds subjects outside ex.shards.<0|1>.<customer>: {odd}. "
                     "Publish to ex.shards.<customer> and let the transform add the partition.")
    left = sorted(s for s in subjects if s.startswith("ex.shards.0."))
    if left:
        raise NotYet(f"partition 0 still holds {left}: let shard-0 fetch and ack all of its "
                     "orders.")
    kept = sorted(subjects)
    if not kept:
        raise NotYet("EX_SHARDS is empty: shard-1's orders should still be there (only shard-0 "
                     "works). If all six customers landed in partition 0, publish orders for "
                     "more customers.")
    return (f"shard-0 is done; EX_SHARDS holds only partition 1: {', '.join(kept)}.")


@exercise("20.3", "a task handed back for 0.5 s, then acked")
def later(lab) -> str:
    info = _workqueue(lab, "EX_LATER", "ex.later")
    _consumer(lab, "EX_LATER", "later", "the worker's consumer")
    if info.state.last_seq < 1:
        raise NotYet("no task was published to EX_LATER yet: publish one to ex.later.")
    lab.flush()
    events = lab.session.deliveries.events("EX_LATER", "later")
    naks = [e for e in events if e.kind == "nak"]
    if not naks:
        raise NotYet("the worker has not handed the task back yet: at its first delivery, answer "
                     "with the reply that means 'not now, deliver it again' (section 'Delayed "
                     "work').")
    if max(e.delay or 0 for e in naks) < 0.5:
        raise NotYet("the task was handed back without a delay of 0.5 s, so it came back at "
                     "once: give that answer a delay.")
    info = lab.stream_info("EX_LATER")
    if info.state.messages:
        raise NotYet(f"EX_LATER still holds {info.state.messages} task(s): fetch it again after "
                     "the delay and ack it.")
    delivered = [e for e in events if e.kind == "delivered"]
    return (f"the task was delivered {max(e.num_delivered for e in delivered)} times: handed "
            "back for 0.5 s, then acked; EX_LATER is empty.")
