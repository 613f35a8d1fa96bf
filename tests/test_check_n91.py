"""Checks of 91-consumer-configuration: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def _orders(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"], storage="memory")
    lab.publish_many([("orders.eu.placed", "1"), ("orders.ap.placed", "2"),
                      ("orders.paid", "3"), ("orders.ap.placed", "4")])


def test_payments_needs_filter_backoff_max_deliver_and_cap(lab):
    assert "no stream ORDERS" in _hint("91.1", lab)
    _orders(lab)
    assert "no consumer 'payments'" in _hint("91.1", lab)
    lab.add_consumer("ORDERS", "payments")
    assert "orders.paid" in _hint("91.1", lab)
    lab.update_consumer("ORDERS", "payments", filter_subject="orders.paid")
    assert "2, 10 and 60" in _hint("91.1", lab)
    lab.update_consumer("ORDERS", "payments", backoff=[2, 10, 60], max_deliver=4)
    assert "after 5" in _hint("91.1", lab)
    lab.update_consumer("ORDERS", "payments", max_deliver=5)
    assert "cap should be 20" in _hint("91.1", lab)
    lab.update_consumer("ORDERS", "payments", max_ack_pending=20)
    result = check.ex("91.1", lab)
    assert result.passed, result.message
    assert "ack_wait is 2 s" in result.message


def test_payments_refuses_ack_none(lab):
    _orders(lab)
    lab.add_consumer("ORDERS", "payments", filter_subject="orders.paid", ack_policy="none")
    assert "ack_policy 'none'" in _hint("91.1", lab)


def test_partition_needs_the_ap_filter_and_everything_acked(lab):
    _orders(lab)
    assert "no consumer 'region-ap-2'" in _hint("91.2", lab)
    lab.add_consumer("ORDERS", "region-ap-2", filter_subject="orders.eu.>")
    assert "ap region" in _hint("91.2", lab)
    lab.delete_consumer("ORDERS", "region-ap-2")
    lab.add_consumer("ORDERS", "region-ap-2", filter_subject="orders.ap.>",
                     deliver_policy="new")
    assert "first message" in _hint("91.2", lab)
    lab.delete_consumer("ORDERS", "region-ap-2")
    lab.add_consumer("ORDERS", "region-ap-2", filter_subject="orders.ap.>")
    assert "2 are not delivered" in _hint("91.2", lab)
    batch = lab.fetch("ORDERS", "region-ap-2", 10)
    batch[0].ack_sync()
    assert "1 await their ack" in _hint("91.2", lab)
    batch[1].ack_sync()
    result = check.ex("91.2", lab)
    assert result.passed, result.message
    assert "the 2 orders" in result.message
