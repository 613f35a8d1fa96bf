"""Checks of 20-work-queues: each fails until its exercise is done, also half done."""

from __future__ import annotations

import time

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_crew_needs_a_drained_work_queue(lab):
    assert "no stream EX_QUEUE" in _hint("20.1", lab)
    lab.add_stream("EX_QUEUE", subjects=["ex.queue.>"])
    assert "retention" in _hint("20.1", lab)
    lab.delete_stream("EX_QUEUE")
    lab.add_stream("EX_QUEUE", subjects=["ex.queue.>"], retention="workqueue")
    assert "no consumer 'crew'" in _hint("20.1", lab)
    lab.add_consumer("EX_QUEUE", "crew", filter_subject="ex.queue.task")
    assert "without a filter" in _hint("20.1", lab)
    lab.delete_consumer("EX_QUEUE", "crew")
    lab.add_consumer("EX_QUEUE", "crew")
    lab.publish_many("ex.queue.task", [f"t{i}" for i in range(6)])
    assert "publish 12" in _hint("20.1", lab)
    lab.publish_many("ex.queue.task", [f"t{i}" for i in range(6, 12)])
    assert "start the worker threads" in _hint("20.1", lab)
    batch = lab.fetch("EX_QUEUE", "crew", 12)
    batch[0].ack_sync()
    assert "still holds 11" in _hint("20.1", lab)
    c = lab.consume("EX_QUEUE", "crew", lambda m: None, threads=3, batch=1, wait=0.1)
    for msg in batch[1:]:
        msg.ack()
    c.stop()
    result = check.ex("20.1", lab)
    assert result.passed, result.message
    assert "ack floor is 12" in result.message


def _shards(lab, dest="ex.shards.{{partition(2,1)}}.{{wildcard(1)}}"):
    lab.add_stream("EX_SHARDS", subjects=["ex.shards.*"], retention="workqueue",
                   subject_transform={"src": "ex.shards.*", "dest": dest})


def test_shards_needs_the_server_partition_and_shard_0_done(lab):
    assert "no stream EX_SHARDS" in _hint("20.2", lab)
    lab.add_stream("EX_SHARDS", subjects=["ex.shards.*"], retention="workqueue")
    assert "subject transform" in _hint("20.2", lab)
    lab.delete_stream("EX_SHARDS")
    _shards(lab)
    assert "no consumer 'shard-0'" in _hint("20.2", lab)
    lab.add_consumer("EX_SHARDS", "shard-0", filter_subject="ex.shards.1.>")
    assert "partition 0" in _hint("20.2", lab)
    lab.delete_consumer("EX_SHARDS", "shard-0")
    for p in range(2):
        lab.add_consumer("EX_SHARDS", f"shard-{p}", filter_subject=f"ex.shards.{p}.>")
    lab.publish("ex.shards.alice", "order")
    assert "publish one for each of six" in _hint("20.2", lab)
    for customer in ["bob", "dave", "erin", "ivan", "judy"]:
        lab.publish(f"ex.shards.{customer}", "order")
    assert "partition 0 still holds" in _hint("20.2", lab)
    batch = lab.fetch("EX_SHARDS", "shard-0", 10)
    assert batch.seqs, "these six customers have orders in partition 0"
    assert "partition 0 still holds" in _hint("20.2", lab)     # fetched, not acked
    batch.ack_sync()
    result = check.ex("20.2", lab)
    assert result.passed, result.message
    assert "ex.shards.1." in result.message and "ex.shards.0." not in result.message


def test_shards_refuses_a_stream_without_the_partition(lab):
    _shards(lab, dest="ex.shards.x.{{wildcard(1)}}")
    assert "partition number" in _hint("20.2", lab)


def test_later_needs_a_delayed_nak_then_an_ack(lab):
    assert "no stream EX_LATER" in _hint("20.3", lab)
    lab.add_stream("EX_LATER", subjects=["ex.later"], retention="workqueue")
    assert "no consumer 'later'" in _hint("20.3", lab)
    lab.add_consumer("EX_LATER", "later")
    assert "publish one" in _hint("20.3", lab)
    lab.publish("ex.later", "task")
    assert "handed the task back" in _hint("20.3", lab)
    lab.fetch("EX_LATER", "later")[0].nak()
    assert "without a delay" in _hint("20.3", lab)
    msg = lab.fetch("EX_LATER", "later", wait=1)[0]
    t0 = time.monotonic()
    msg.nak(delay=0.5)
    assert "still holds 1" in _hint("20.3", lab)
    again = lab.fetch("EX_LATER", "later", wait=2)[0]
    assert time.monotonic() - t0 >= 0.4
    again.ack_sync()
    result = check.ex("20.3", lab)
    assert result.passed, result.message
    assert "delivered 3 times" in result.message
