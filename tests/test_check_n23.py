"""Checks of 23-event-sourcing: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check
from jslab.check.n23 import matches

EVENTS = [("carts.7.created", {}), ("carts.7.item_added", {"sku": "tea"}),
          ("carts.8.created", {}), ("carts.7.item_added", {"sku": "mug"}),
          ("carts.8.item_added", {"sku": "pen"})]


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_matches_counts_tokens():
    assert matches("carts.*.item_added", "carts.8.item_added")
    assert not matches("carts.*.item_added", "carts.8.item_added.v2")
    assert matches("carts.7.>", "carts.7.item_added.v2")
    assert not matches("carts.7.>", "carts.7")


def test_cart_snapshot_needs_the_last_sequence_of_cart_7(lab):
    assert "no stream CARTS" in _hint("23.1", lab)
    lab.add_stream("CARTS", subjects=["carts.>"])
    lab.publish_many(EVENTS[:2])
    assert "five events" in _hint("23.1", lab)
    lab.publish_many(EVENTS[2:])
    assert "no KV bucket cart-snapshots" in _hint("23.1", lab)
    bucket = lab.create_kv("cart-snapshots")
    assert "no key cart.7" in _hint("23.1", lab)
    bucket.put("cart.7", {"items": ["tea"], "seq": 2})
    assert "replaying cart 7 gives ['tea', 'mug']" in _hint("23.1", lab)
    bucket.put("cart.7", {"items": ["tea", "mug"], "seq": 5})
    assert "stream's last sequence" in _hint("23.1", lab)
    bucket.put("cart.7", {"items": ["tea", "mug"], "seq": 4})
    result = check.ex("23.1", lab)
    assert result.passed, result.message
    assert "seq 4" in result.message


def test_checkout_must_be_guarded_on_the_whole_cart(lab):
    assert "no stream CARTS" in _hint("23.2", lab)
    lab.add_stream("CARTS", subjects=["carts.>"])
    lab.publish_many(EVENTS)
    assert "no carts.7.checked_out" in _hint("23.2", lab)
    lab.publish("carts.7.checked_out", {})
    assert "without an expected last subject sequence" in _hint("23.2", lab)
    lab.purge_stream("CARTS", subject="carts.7.checked_out")
    lab.publish("carts.7.checked_out", {}, expected_last_subject_seq=0)
    assert "the exact subject" in _hint("23.2", lab)
    lab.purge_stream("CARTS", subject="carts.7.checked_out")
    lab.publish("carts.7.checked_out", {}, expected_last_subject_seq=4,
                expected_last_subject_seq_subject="carts.7.>")
    result = check.ex("23.2", lab)
    assert result.passed, result.message
    assert "seq 4 on carts.7.>" in result.message


def test_report_reads_item_added_of_both_versions(lab):
    assert "no stream CARTS" in _hint("23.3", lab)
    lab.add_stream("CARTS", subjects=["carts.>"])
    lab.publish_many(EVENTS)
    assert "no version-2 item event" in _hint("23.3", lab)
    lab.publish("carts.8.item_added.v2", {"sku": "ink", "qty": 2})
    assert "no consumer 'items-report'" in _hint("23.3", lab)
    lab.add_consumer("CARTS", "items-report", filter_subject="carts.*.item_added")
    assert "misses ['carts.8.item_added.v2']" in _hint("23.3", lab)
    lab.delete_consumer("CARTS", "items-report")
    lab.add_consumer("CARTS", "items-report")
    assert "also reads" in _hint("23.3", lab)
    lab.delete_consumer("CARTS", "items-report")
    lab.add_consumer("CARTS", name="items-report", inactive_threshold=60,
                     filter_subjects=["carts.*.item_added", "carts.*.item_added.v2"])
    assert "not durable" in _hint("23.3", lab)
    lab.delete_consumer("CARTS", "items-report")
    lab.add_consumer("CARTS", "items-report",
                     filter_subjects=["carts.*.item_added", "carts.*.item_added.v2"])
    result = check.ex("23.3", lab)
    assert result.passed, result.message
    assert "4 item_added events" in result.message
