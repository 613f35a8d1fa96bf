"""The compact snapshot form: one line for the stream, the tape, one line per consumer."""

from __future__ import annotations


def test_summary_is_short_and_has_the_numbers(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.publish_many([("orders.eu", 1), ("orders.us", 2), ("orders.eu", 3), ("orders.us", 4)])
    lab.add_consumer("ORDERS", "shipping")
    lab.add_consumer("ORDERS", "eu", filter_subject="orders.eu")
    batch = lab.fetch("ORDERS", "shipping", 3)
    batch[0].ack()
    batch[2].ack()
    snap = lab.snapshot("ORDERS")
    text = snap.summary()
    lines = text.splitlines()
    assert lines[0] == "ORDERS (orders.>): seq 1..4, 4 messages, 2 consumers"
    assert "  shipping     =*+o" in lines
    assert lines[-1] == ("  shipping  ack floor 1, delivered 3, ack pending 1, redelivered 0, "
                         "unprocessed 1")
    assert repr(text) == str(text) and len(lines) < len(str(snap).splitlines()) / 2
