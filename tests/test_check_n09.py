"""Checks of 09-pull-and-push: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def test_pull_batches(lab):
    assert "EX_PULL" in check.ex("09.1", lab).message
    lab.add_stream("EX_PULL", subjects=["ex.pull"])
    lab.publish_many("ex.pull", list(range(10)))
    lab.add_consumer("EX_PULL", "batcher")
    lab.fetch("EX_PULL", "batcher", 4).ack_sync()
    result = check.ex("09.1", lab)
    assert not result and "up to 4 of 10" in result.message
    while batch := lab.fetch("EX_PULL", "batcher", 4, wait=0.3):
        batch.ack_sync()
    assert check.ex("09.1", lab)


def test_pull_batches_refuses_a_push_consumer(lab):
    lab.add_stream("EX_PULL", subjects=["ex.pull"])
    lab.add_consumer("EX_PULL", "batcher", deliver_subject="somewhere")
    result = check.ex("09.1", lab)
    assert not result and "push" in result.message


def test_push_consumer(lab):
    assert not check.ex("09.2", lab)
    lab.add_stream("EX_PUSH", subjects=["ex.push.>"])
    lab.add_consumer("EX_PUSH", "alerts")
    result = check.ex("09.2", lab)
    assert not result and "deliver_subject" in result.message
    lab.delete_consumer("EX_PUSH", "alerts")
    lab.add_consumer("EX_PUSH", "alerts", deliver_subject="ex.alerts.inbox", flow_control=True,
                     idle_heartbeat=5)
    result = check.ex("09.2", lab)
    assert not result and "heartbeat" in result.message
    lab.delete_consumer("EX_PUSH", "alerts")
    lab.add_consumer("EX_PUSH", "alerts", deliver_subject="ex.alerts.inbox", flow_control=True,
                     idle_heartbeat=1)
    assert check.ex("09.2", lab)
