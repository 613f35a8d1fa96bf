"""Checks of 08-acknowledgement: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def test_backoff_consumer(lab):
    assert "EX_RETRY" in check.ex("08.1", lab).message
    lab.add_stream("EX_RETRY", subjects=["ex.retry"])
    lab.add_consumer("EX_RETRY", "patient", backoff=[1, 3], max_deliver=3)
    result = check.ex("08.1", lab)
    assert not result and "backoff=[1, 2]" in result.message
    lab.delete_consumer("EX_RETRY", "patient")
    lab.add_consumer("EX_RETRY", "patient", backoff=[1, 2], max_deliver=5)
    result = check.ex("08.1", lab)
    assert not result and "max_deliver" in result.message
    lab.delete_consumer("EX_RETRY", "patient")
    lab.add_consumer("EX_RETRY", "patient", backoff=[1, 2], max_deliver=3)
    assert check.ex("08.1", lab)


def test_serial_consumer(lab):
    assert not check.ex("08.2", lab)
    lab.add_stream("EX_SERIAL", subjects=["ex.serial"])
    lab.publish_many("ex.serial", ["a", "b", "c"])
    lab.add_consumer("EX_SERIAL", "one_by_one")
    result = check.ex("08.2", lab)
    assert not result and "max_ack_pending=1" in result.message
    lab.delete_consumer("EX_SERIAL", "one_by_one")
    lab.add_consumer("EX_SERIAL", "one_by_one", max_ack_pending=1)
    lab.fetch("EX_SERIAL", "one_by_one", 3).ack_sync()
    result = check.ex("08.2", lab)
    assert not result and "up to sequence 1 of 3" in result.message
    while batch := lab.fetch("EX_SERIAL", "one_by_one", 3, wait=0.3):
        batch.ack_sync()
    assert check.ex("08.2", lab)


def test_dead_letter(lab):
    assert not check.ex("08.3", lab)
    lab.add_stream("EX_JOBS", subjects=["ex.jobs"])
    lab.publish("ex.jobs", "bad")
    lab.add_consumer("EX_JOBS", "fragile", max_deliver=2)
    result = check.ex("08.3", lab)
    assert not result and "not given up" in result.message
    while batch := lab.fetch("EX_JOBS", "fragile", wait=0.5):
        batch.nak()
    result = check.ex("08.3", lab)
    assert not result and "EX_DLQ" in result.message
    lab.add_stream("EX_DLQ", subjects=["ex.dlq"])
    lab.publish("ex.dlq", "something else")
    result = check.ex("08.3", lab)
    assert not result and "no copy" in result.message
    lab.publish("ex.dlq", "bad")
    assert check.ex("08.3", lab)


def test_dead_letter_needs_a_message_given_up_not_acked(lab):
    lab.add_stream("EX_JOBS", subjects=["ex.jobs"])
    lab.add_stream("EX_DLQ", subjects=["ex.dlq"])
    lab.publish("ex.jobs", "bad")
    lab.publish("ex.dlq", "bad")
    lab.add_consumer("EX_JOBS", "fragile", max_deliver=2)
    lab.fetch("EX_JOBS", "fragile").ack_sync()
    assert not check.ex("08.3", lab)
