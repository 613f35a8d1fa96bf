"""Checks for 22-exactly-once.

    >>> jslab.check.ex("22.2", lab)
    ✓ 22.2 passed: stock.widget holds 2 counts; the update at seq 2 expected seq 1.
"""

from __future__ import annotations

from ..errors import MessageNotFoundError, StreamNotFoundError
from . import NotYet, exercise


def _stream(lab, name: str, subjects: str, workqueue: bool = False):
    try:
        info = lab.stream_info(name, subjects_filter=">")
    except StreamNotFoundError:
        kind = ("with the retention that removes a message once it is acked (section 'Work "
                "queue plus deduplication')") if workqueue else "with the default retention"
        raise NotYet(f"there is no stream {name} yet: create it on {subjects} {kind}.") from None
    retention = getattr(info.config.retention, "value", info.config.retention)
    if workqueue and retention != "workqueue":
        raise NotYet(f"{name} has retention={retention!r}; a job queue removes each job once "
                     "it is acked (section 'Work queue plus deduplication'). Delete the stream "
                     "and create it again.")
    return info


@exercise("22.1", "a work queue JOBS that stores each retried job once and runs it")
def jobs(lab) -> str:
    info = _stream(lab, "JOBS", "jobs.>", workqueue=True)
    if "worker" not in lab.consumer_names("JOBS"):
        raise NotYet("JOBS has no consumer 'worker' yet: add a durable without a filter.")
    last = info.state.last_seq
    if last < 3:
        raise NotYet(f"JOBS has stored {last} job(s); publish job-1, job-2 and job-3 to "
                     "jobs.run, each twice.")
    if last > 3:
        raise NotYet(f"JOBS stored {last} messages for three jobs: the retries were stored as "
                     "new jobs. Give every publish an id taken from the job, the same for both "
                     "attempts (section 'The publisher's half'), then delete the stream and "
                     "start again.")
    lab.flush()
    worker = lab.consumer_info("JOBS", "worker")
    if worker.num_pending or worker.num_ack_pending or info.state.messages:
        raise NotYet(f"worker still has {worker.num_pending} job(s) not delivered and "
                     f"{worker.num_ack_pending} not acknowledged: process every job and "
                     "confirm each ack (section 'Ack after the commit').")
    return (f"JOBS stored 3 jobs (last seq {last}), the retries were duplicates, and worker "
            "acked all of them: the queue is empty.")


@exercise("22.2", "a conditional update of stock.widget that wins, and one that loses")
def stock(lab) -> str:
    info = _stream(lab, "STOCK", "stock.>")
    count = (info.state.subjects or {}).get("stock.widget", 0)
    if count == 0:
        raise NotYet("STOCK has nothing on stock.widget yet: publish the first count there.")
    if count == 1:
        raise NotYet("stock.widget holds only the first count: the first clerk's update, "
                     "published on the condition that the subject's last message is still the "
                     "one read (section 'Optimistic concurrency'), should be stored.")
    last = lab.get_last_msg("STOCK", "stock.widget")
    expected = (last.headers or {}).get("Nats-Expected-Last-Subject-Sequence")
    if expected is None:
        raise NotYet(f"the last count on stock.widget (seq {last.seq}) was published without "
                     "a condition on the subject's last sequence, so it could have overwritten "
                     "someone else's update. Purge the stream and try again.")
    if count > 2:
        raise NotYet(f"stock.widget holds {count} counts: the second clerk's update should "
                     "have been refused, because the subject changed after it was read.")
    try:
        first = lab.get_msg("STOCK", int(expected)) if int(expected) else None
    except MessageNotFoundError:
        first = None
    if first is None or first.subject != "stock.widget":
        raise NotYet(f"the update expected seq {expected}, which is not the first count on "
                     "stock.widget.")
    return (f"stock.widget holds 2 counts; the update at seq {last.seq} expected seq "
            f"{expected}.")


@exercise("22.3", "an outbox relay run twice that stores each row once")
def ship(lab) -> str:
    info = _stream(lab, "SHIP", "ship.>")
    if info.state.last_seq == 0:
        raise NotYet("SHIP is empty: put three rows in an outbox table and let the relay "
                     "publish them to ship.created.")
    frame = lab.messages("SHIP")
    ids = [(int(seq), (headers or {}).get("Nats-Msg-Id"))
           for seq, headers in zip(frame["seq"], frame["headers"], strict=True)]
    missing = [seq for seq, i in ids if not i]
    if missing:
        raise NotYet(f"the event(s) at seq {missing} carry no message id, so a relay that "
                     "publishes them again stores them again. Use the outbox row id as the "
                     "message id (section 'The transactional outbox'), then delete the stream "
                     "and start again.")
    names = [i for _, i in ids]
    twice = sorted({i for i in names if names.count(i) > 1})
    if twice:
        raise NotYet(f"{', '.join(twice)} stored more than once: was the stream's duplicate "
                     "window shorter than the time between the two relay runs?")
    if len(names) < 3:
        raise NotYet(f"SHIP holds {len(names)} event(s); the outbox has three rows.")
    wrong = [i for i in names if not i.startswith("outbox-")]
    if wrong:
        raise NotYet(f"message ids {wrong} do not name the outbox row: use 'outbox-<row id>'.")
    return f"SHIP holds {len(names)} events, one per outbox row: {', '.join(sorted(names))}."

