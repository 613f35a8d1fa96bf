"""Checks of 30-gotchas: each fails until its exercise is done, also half done."""

from __future__ import annotations

import time

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_monthly_needs_a_durable_with_an_hour_threshold(lab):
    assert "no stream REPORTS" in _hint("30.1", lab)
    lab.add_stream("REPORTS", subjects=["reports.>"])
    assert "no consumer 'monthly'" in _hint("30.1", lab)
    lab.add_consumer("REPORTS", "monthly")
    assert "no inactivity threshold" in _hint("30.1", lab)
    lab.update_consumer("REPORTS", "monthly", inactive_threshold=600)
    assert "after 600 s" in _hint("30.1", lab)
    lab.update_consumer("REPORTS", "monthly", inactive_threshold=3600)
    result = check.ex("30.1", lab)
    assert result.passed, result.message


def test_monthly_refuses_an_ephemeral(lab):
    lab.add_stream("REPORTS", subjects=["reports.>"])
    lab.add_consumer("REPORTS", name="monthly", inactive_threshold=3600)
    assert "not durable" in _hint("30.1", lab)


def test_render_needs_room_for_eight_workers_and_an_empty_queue(lab):
    assert "no stream RENDER" in _hint("30.2", lab)
    lab.add_stream("RENDER", subjects=["render.>"])
    assert "retention" in _hint("30.2", lab)
    lab.delete_stream("RENDER")
    lab.add_stream("RENDER", subjects=["render.>"], retention="workqueue")
    assert "no consumer 'renderers'" in _hint("30.2", lab)
    lab.add_consumer("RENDER", "renderers", max_ack_pending=1)
    assert "only 1 message(s)" in _hint("30.2", lab)
    lab.update_consumer("RENDER", "renderers", max_ack_pending=8)
    assert "received 0 job(s)" in _hint("30.2", lab)
    lab.publish_many("render.frame", [f"frame-{i}" for i in range(16)])
    assert "still holds 16" in _hint("30.2", lab)
    run = lab.consume("RENDER", "renderers", lambda m: time.sleep(0.01), batch=1, wait=0.05,
                      threads=8)
    assert run.wait(16, timeout=10)
    run.stop()
    result = check.ex("30.2", lab)
    assert result.passed, result.message
    assert "all 16 jobs" in result.message


def test_charges_needs_a_ten_minute_window_and_one_stored_charge(lab):
    assert "no stream CHARGES" in _hint("30.3", lab)
    lab.add_stream("CHARGES", subjects=["charges.>"])
    assert "for 120 s" in _hint("30.3", lab)
    lab.update_stream("CHARGES", duplicate_window=600)
    assert "holds nothing yet" in _hint("30.3", lab)
    lab.publish("charges.card", "charge-1")
    lab.publish("charges.card", "charge-1")
    assert "stored 2 messages" in _hint("30.3", lab)
    lab.purge_stream("CHARGES")
    lab.publish("charges.card", "charge-1", msg_id="charge-x")
    assert "'charge-x'" in _hint("30.3", lab)
    lab.purge_stream("CHARGES")
    assert lab.publish("charges.card", "charge-1", msg_id="charge-1").seq == 4
    assert lab.publish("charges.card", "charge-1", msg_id="charge-1").duplicate
    result = check.ex("30.3", lab)
    assert result.passed, result.message
