"""Checks of 22-exactly-once: each fails until its exercise is done, also half done."""

from __future__ import annotations

import pytest

from jslab import check
from jslab.errors import WrongLastSequenceError


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_jobs_needs_a_work_queue_with_ids_and_a_drained_worker(lab):
    assert "no stream JOBS" in _hint("22.1", lab)
    lab.add_stream("JOBS", subjects=["jobs.>"])
    assert "retention='limits'" in _hint("22.1", lab)
    lab.delete_stream("JOBS")
    lab.add_stream("JOBS", subjects=["jobs.>"], retention="workqueue")
    assert "no consumer 'worker'" in _hint("22.1", lab)
    lab.add_consumer("JOBS", "worker")
    assert "stored 0 job(s)" in _hint("22.1", lab)
    for job in ("job-1", "job-2", "job-3"):
        lab.publish("jobs.run", job, msg_id=job)
        lab.publish("jobs.run", job, msg_id=job)
    assert "worker still has 3" in _hint("22.1", lab)
    lab.fetch("JOBS", "worker", 10)
    assert "3 not acknowledged" in _hint("22.1", lab)
    lab.delete_consumer("JOBS", "worker")
    lab.add_consumer("JOBS", "worker")
    for msg in lab.fetch("JOBS", "worker", 10):
        msg.ack_sync()
    result = check.ex("22.1", lab)
    assert result.passed, result.message


def test_jobs_without_ids_stores_the_retries(lab):
    lab.add_stream("JOBS", subjects=["jobs.>"], retention="workqueue")
    lab.add_consumer("JOBS", "worker")
    lab.publish_many("jobs.run", ["job-1", "job-1", "job-2", "job-2"])
    assert "retries were stored" in _hint("22.1", lab)


def test_stock_needs_one_winning_and_one_refused_update(lab):
    assert "no stream STOCK" in _hint("22.2", lab)
    lab.add_stream("STOCK", subjects=["stock.>"])
    assert "nothing on stock.widget" in _hint("22.2", lab)
    lab.publish("stock.widget", {"count": 10})
    assert "only the first count" in _hint("22.2", lab)
    lab.publish("stock.widget", {"count": 9})
    assert "without a condition" in _hint("22.2", lab)
    lab.purge_stream("STOCK")
    lab.publish("stock.widget", {"count": 10})                      # seq 3
    lab.publish("stock.widget", {"count": 9}, expected_last_subject_seq=3)
    with pytest.raises(WrongLastSequenceError):
        lab.publish("stock.widget", {"count": 8}, expected_last_subject_seq=3)
    result = check.ex("22.2", lab)
    assert result.passed, result.message
    lab.publish("stock.widget", {"count": 7}, expected_last_subject_seq=4)
    assert "holds 3 counts" in _hint("22.2", lab)


def test_ship_needs_row_ids_as_message_ids(lab):
    assert "no stream SHIP" in _hint("22.3", lab)
    lab.add_stream("SHIP", subjects=["ship.>"])
    assert "SHIP is empty" in _hint("22.3", lab)
    lab.publish("ship.created", "parcel-1")
    assert "carry no message id" in _hint("22.3", lab)
    lab.delete_stream("SHIP")
    lab.add_stream("SHIP", subjects=["ship.>"])
    for _run in range(2):
        lab.publish("ship.created", "parcel-1", msg_id="outbox-1")
    assert "holds 1 event(s)" in _hint("22.3", lab)
    for _run in range(2):
        for row in (2, 3):
            lab.publish("ship.created", f"parcel-{row}", msg_id=f"outbox-{row}")
    result = check.ex("22.3", lab)
    assert result.passed, result.message
    assert "outbox-1, outbox-2, outbox-3" in result.message


def test_ship_refuses_ids_that_do_not_name_the_row(lab):
    lab.add_stream("SHIP", subjects=["ship.>"])
    for i in (1, 2, 3):
        lab.publish("ship.created", f"parcel-{i}", msg_id=f"parcel-{i}")
    assert "outbox-<row id>" in _hint("22.3", lab)
