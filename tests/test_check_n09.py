"""Checks of 09-pull-and-push: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def test_pull_batches(lab):
    result = check.ex("09.1", lab)
    assert not result and "EX_PULL" in result.message and "add_stream" not in result.message
    lab.add_stream("EX_PULL", subjects=["ex.pull"])
    assert "no consumer batcher" in check.ex("09.1", lab).message
    lab.add_consumer("EX_PULL", "batcher")
    result = check.ex("09.1", lab)
    assert not result and "publish 10" in result.message
    lab.publish_many("ex.pull", list(range(10)))
    lab.fetch("EX_PULL", "batcher", 4).ack_sync()
    result = check.ex("09.1", lab)
    assert not result and "up to sequence 4 of 10" in result.message
    while batch := lab.fetch("EX_PULL", "batcher", 4, wait=0.3):
        batch.ack_sync()
    assert check.ex("09.1", lab)


def test_pull_batches_refuses_a_push_consumer(lab):
    lab.add_stream("EX_PULL", subjects=["ex.pull"])
    lab.add_consumer("EX_PULL", "batcher", deliver_subject="somewhere")
    result = check.ex("09.1", lab)
    assert not result and "pushes" in result.message


def test_push_consumer(lab):
    assert not check.ex("09.2", lab)
    lab.add_stream("EX_PUSH", subjects=["ex.push.>"])
    lab.add_consumer("EX_PUSH", "alerts")
    result = check.ex("09.2", lab)
    assert not result and "pull consumer" in result.message
    lab.delete_consumer("EX_PUSH", "alerts")
    lab.add_consumer("EX_PUSH", "alerts", deliver_subject="ex.alerts.inbox")
    result = check.ex("09.2", lab)
    assert not result and "flow control" in result.message
    lab.delete_consumer("EX_PUSH", "alerts")
    lab.add_consumer("EX_PUSH", "alerts", deliver_subject="ex.alerts.inbox", flow_control=True,
                     idle_heartbeat=5)
    result = check.ex("09.2", lab)
    assert not result and "heartbeat is 5 s" in result.message
    lab.delete_consumer("EX_PUSH", "alerts")
    lab.add_consumer("EX_PUSH", "alerts", deliver_subject="ex.alerts.inbox", flow_control=True,
                     idle_heartbeat=1)
    assert check.ex("09.2", lab)


def test_consume_all(lab):
    result = check.ex("09.3", lab)
    assert not result and "EX_WORK" in result.message
    lab.add_stream("EX_WORK", subjects=["ex.work"])
    lab.publish_many("ex.work", [f"job-{i}" for i in range(1, 21)])
    lab.add_consumer("EX_WORK", "counter")
    lab.fetch("EX_WORK", "counter", 5).ack_sync()
    out = lab.fetch("EX_WORK", "counter", 1)        # fetched, not acknowledged
    result = check.ex("09.3", lab)
    assert not result and "up to sequence 5 of 20 (1 awaiting an ack)" in result.message
    out.ack_sync()
    work = lab.consume("EX_WORK", "counter", lambda msg: None, threads=2, wait=0.2)
    work.wait(processed=14, timeout=10)
    work.stop()
    assert check.ex("09.3", lab)
