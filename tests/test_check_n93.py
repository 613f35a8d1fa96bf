"""Checks of 93-from-go: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message and "js." not in result.message, result.message
    return result.message


def _cards(lab, ids, msg_id=True):
    for pay_id in ids:
        lab.publish("payments.card", pay_id, msg_id=pay_id if msg_id else None)


def test_payments_needs_ids_no_stored_retry_and_a_conditional_refund(lab):
    assert "no stream PAYMENTS" in _hint("93.1", lab)
    lab.add_stream("PAYMENTS", subjects=["payments.>"])
    _cards(lab, ["pay-1", "pay-2"])
    assert "holds 2 message(s)" in _hint("93.1", lab)
    _cards(lab, ["pay-3", "pay-2"])
    assert "no refund" in _hint("93.1", lab)
    lab.publish("payments.refund", "refund pay-1")
    assert "without an expected last sequence" in _hint("93.1", lab)
    lab.publish("payments.refund", "refund pay-1", expected_last_seq=4)
    result = check.ex("93.1", lab)
    assert result.passed, result.message
    assert "seq 1..3" in result.message and "refund at 5" in result.message


def test_payments_refuses_a_retry_without_message_id(lab):
    lab.add_stream("PAYMENTS", subjects=["payments.>"])
    _cards(lab, ["pay-1", "pay-2", "pay-3"])
    _cards(lab, ["pay-2"], msg_id=False)
    assert "without a message id" in _hint("93.1", lab)


def test_billing_needs_max_ack_pending_two_and_everything_acked(lab):
    assert "no stream PAYMENTS" in _hint("93.2", lab)
    lab.add_stream("PAYMENTS", subjects=["payments.>"])
    _cards(lab, ["pay-1", "pay-2", "pay-3"])
    lab.publish("payments.refund", "refund pay-1", expected_last_seq=3)
    assert "no consumer billing" in _hint("93.2", lab)
    lab.add_consumer("PAYMENTS", "billing")
    assert "allows 1000 unacknowledged" in _hint("93.2", lab)
    lab.update_consumer("PAYMENTS", "billing", max_ack_pending=2)
    assert "acked up to seq 0 of 4" in _hint("93.2", lab)
    held = lab.fetch("PAYMENTS", "billing", 10, wait=0.2)
    assert len(held) == 2
    assert "2 message(s) fetched but not acked" in _hint("93.2", lab)
    held.ack_sync()
    assert "acked up to seq 2 of 4" in _hint("93.2", lab)
    lab.fetch_and_ack("PAYMENTS", "billing", 10, wait=0.2, sync=True)
    result = check.ex("93.2", lab)
    assert result.passed, result.message
    assert "all 4 messages" in result.message
