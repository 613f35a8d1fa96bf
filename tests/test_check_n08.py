"""Checks of 08-acknowledgement: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def _no_call(message: str) -> None:
    # A hint explains the concept; it never hands over the code.
    assert "lab." not in message and "add_stream(" not in message and "=[" not in message


def test_backoff_consumer(lab):
    result = check.ex("08.1", lab)
    assert not result and "EX_RETRY" in result.message and "ex.retry" in result.message
    _no_call(result.message)
    lab.add_stream("EX_RETRY", subjects=["ex.retry"])
    result = check.ex("08.1", lab)
    assert not result and "no consumer patient" in result.message
    lab.add_consumer("EX_RETRY", "patient", backoff=[1, 3], max_deliver=3)
    result = check.ex("08.1", lab)
    assert not result and "1 s, 3 s" in result.message and "1 s after" in result.message
    _no_call(result.message)
    lab.delete_consumer("EX_RETRY", "patient")
    lab.add_consumer("EX_RETRY", "patient", backoff=[1, 2], max_deliver=5)
    result = check.ex("08.1", lab)
    assert not result and "max_deliver is 5" in result.message
    lab.delete_consumer("EX_RETRY", "patient")
    lab.add_consumer("EX_RETRY", "patient", backoff=[1, 2], max_deliver=3)
    assert check.ex("08.1", lab)


def test_serial_consumer(lab):
    result = check.ex("08.2", lab)
    assert not result and "EX_SERIAL" in result.message
    lab.add_stream("EX_SERIAL", subjects=["ex.serial"])
    lab.publish_many("ex.serial", ["a", "b", "c"])
    lab.add_consumer("EX_SERIAL", "one_by_one")
    result = check.ex("08.2", lab)
    assert not result and "allows 1000 unacknowledged" in result.message
    _no_call(result.message)
    lab.delete_consumer("EX_SERIAL", "one_by_one")
    lab.add_consumer("EX_SERIAL", "one_by_one", max_ack_pending=1)
    lab.fetch("EX_SERIAL", "one_by_one", 3).ack_sync()
    result = check.ex("08.2", lab)
    assert not result and "up to sequence 1 of 3" in result.message
    while batch := lab.fetch("EX_SERIAL", "one_by_one", 3, wait=0.3):
        batch.ack_sync()
    assert check.ex("08.2", lab)


def _dead_letter(lab):
    """The worked solution: copy at the last allowed delivery, then term."""
    while batch := lab.fetch("EX_JOBS", "fragile", wait=0.5):
        for msg in batch:
            if msg.num_delivered >= 2:
                lab.publish("ex.dlq", msg.raw)
                msg.term(reason="failed twice")
            else:
                msg.nak()


def test_dead_letter(lab):
    result = check.ex("08.3", lab)
    assert not result and "work-queue" in result.message
    _no_call(result.message)
    lab.add_stream("EX_JOBS", subjects=["ex.jobs"])
    result = check.ex("08.3", lab)
    assert not result and "limits retention" in result.message
    lab.delete_stream("EX_JOBS")
    lab.add_stream("EX_JOBS", subjects=["ex.jobs"], retention="workqueue")
    lab.add_consumer("EX_JOBS", "fragile", max_deliver=3)
    result = check.ex("08.3", lab)
    assert not result and "max_deliver is 3" in result.message
    lab.delete_consumer("EX_JOBS", "fragile")
    lab.add_consumer("EX_JOBS", "fragile", max_deliver=2)
    result = check.ex("08.3", lab)
    assert not result and "never stored" in result.message
    lab.publish("ex.jobs", "bad")
    result = check.ex("08.3", lab)
    assert not result and "still holds 1" in result.message
    lab.add_stream("EX_DLQ", subjects=["ex.dlq"])
    _dead_letter(lab)
    result = check.ex("08.3", lab)
    assert result, result.message


def test_dead_letter_given_up_message_is_stuck(lab):
    lab.add_stream("EX_JOBS", subjects=["ex.jobs"], retention="workqueue")
    lab.add_stream("EX_DLQ", subjects=["ex.dlq"])
    lab.add_consumer("EX_JOBS", "fragile", max_deliver=2)
    lab.publish("ex.jobs", "bad")
    while batch := lab.fetch("EX_JOBS", "fragile", wait=0.5):
        batch.nak()
    result = check.ex("08.3", lab)
    assert not result and "gave up on EX_JOBS #1" in result.message
    # The way out the hint names: a new consumer is handed the message again.
    lab.delete_consumer("EX_JOBS", "fragile")
    lab.add_consumer("EX_JOBS", "fragile", max_deliver=2)
    _dead_letter(lab)
    assert check.ex("08.3", lab)


def test_dead_letter_needs_the_copy(lab):
    lab.add_stream("EX_JOBS", subjects=["ex.jobs"], retention="workqueue")
    lab.add_stream("EX_DLQ", subjects=["ex.dlq"])
    lab.add_consumer("EX_JOBS", "fragile", max_deliver=2)
    lab.publish("ex.jobs", "bad")
    lab.publish("ex.dlq", "something else")
    lab.fetch("EX_JOBS", "fragile").term()
    result = check.ex("08.3", lab)
    assert not result and "before the term" in result.message
