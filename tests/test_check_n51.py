"""Checks of 51-mirrors-and-sources: each fails until its exercise is done, also half done."""

from __future__ import annotations

import time

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message and "add_stream" not in result.message, result.message
    return result.message


def _settle(lab, stream, messages):
    deadline = time.monotonic() + 3
    while lab.stream_info(stream).state.messages < messages and time.monotonic() < deadline:
        time.sleep(0.01)


def _shop(lab):
    lab.add_stream("SHOP", subjects=["shop.>"])
    lab.publish_many([("shop.sale", "s1"), ("shop.refund", "r1"), ("shop.sale", "s2"),
                      ("shop.sale", "s3"), ("shop.refund", "r2")])


def test_refunds_needs_a_filtered_mirror_of_shop(lab):
    assert "no stream SHOP" in _hint("51.1", lab)
    lab.add_stream("SHOP", subjects=["shop.>"])
    lab.publish("shop.sale", "s1")
    assert "publish three sales and two refunds" in _hint("51.1", lab)
    lab.publish_many([("shop.refund", "r1"), ("shop.sale", "s2"), ("shop.sale", "s3"),
                      ("shop.refund", "r2")])
    assert "no stream REFUNDS" in _hint("51.1", lab)
    lab.add_stream("REFUNDS", subjects=["refunds.>"])
    assert "not a mirror" in _hint("51.1", lab)
    lab.delete_stream("REFUNDS")
    lab.add_stream("REFUNDS", mirror={"name": "SHOP"})
    assert "copies every subject" in _hint("51.1", lab)
    lab.delete_stream("REFUNDS")
    lab.add_stream("REFUNDS", mirror={"name": "SHOP", "filter_subject": "shop.sale"})
    assert "copies shop.sale" in _hint("51.1", lab)
    lab.delete_stream("REFUNDS")
    lab.add_stream("REFUNDS", mirror={"name": "SHOP", "filter_subject": "shop.refund"})
    result = check.ex("51.1", lab)
    assert result.passed, result.message
    assert "sequences [2, 5]" in result.message


def test_refunds_accepts_a_renaming_mirror(lab):
    _shop(lab)
    lab.add_stream("REFUNDS", mirror={
        "name": "SHOP", "subject_transforms": [{"src": "shop.refund", "dest": "refund"}]})
    result = check.ex("51.1", lab)
    assert result.passed, result.message


def test_sales_needs_both_sources_renamed(lab):
    assert "no stream SALES_EU" in _hint("51.2", lab)
    lab.add_stream("SALES_EU", subjects=["eu.sales.>"])
    lab.add_stream("SALES_US", subjects=["us.sales.>"])
    assert "SALES_EU is empty" in _hint("51.2", lab)
    lab.publish_many([("eu.sales.books", "b1"), ("eu.sales.books", "b2"),
                      ("us.sales.music", "m1")])
    assert "no stream SALES" in _hint("51.2", lab)
    lab.add_stream("SALES", mirror={"name": "SALES_EU"})
    assert "mirror copies exactly one stream" in _hint("51.2", lab)
    lab.delete_stream("SALES")
    lab.add_stream("SALES", sources=[{"name": "SALES_EU"}])
    assert "no source SALES_US" in _hint("51.2", lab)
    lab.update_stream("SALES", sources=[{"name": "SALES_EU"}, {"name": "SALES_US"}])
    _settle(lab, "SALES", 3)
    assert "under their original names" in _hint("51.2", lab)
    lab.delete_stream("SALES")
    lab.add_stream("SALES", sources=[
        {"name": "SALES_EU", "subject_transforms": [{"src": "eu.sales.>", "dest": "sales.eu.>"}]},
        {"name": "SALES_US", "subject_transforms": [{"src": "us.sales.>", "dest": "sales.us.>"}]}])
    result = check.ex("51.2", lab)
    assert result.passed, result.message
    assert "2 European and 1 US" in result.message


def test_audit_needs_a_source_starting_at_2(lab):
    assert "no stream SALES_EU" in _hint("51.3", lab)
    lab.add_stream("SALES_EU", subjects=["eu.sales.>"])
    lab.publish("eu.sales.books", "b1")
    assert "at least two" in _hint("51.3", lab)
    lab.publish("eu.sales.books", "b2")
    lab.publish("eu.sales.books", "b3")
    assert "no stream AUDIT" in _hint("51.3", lab)
    lab.add_stream("AUDIT", sources=[{"name": "SALES_EU"}])
    assert "from its first message" in _hint("51.3", lab)
    lab.delete_stream("AUDIT")
    lab.add_stream("AUDIT", sources=[{"name": "SALES_EU", "opt_start_seq": 3}])
    assert "starts at sequence 3" in _hint("51.3", lab)
    lab.delete_stream("AUDIT")
    lab.add_stream("AUDIT", sources=[{"name": "SALES_EU", "opt_start_seq": 2}])
    result = check.ex("51.3", lab)
    assert result.passed, result.message
    assert "2 message(s) from sequence 2" in result.message
