"""Checks of 10-subject-filtering: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def _shop(lab):
    lab.add_stream("EX_SHOP", subjects=["ex.shop.>"])
    lab.publish_many([("ex.shop.eu.new", 1), ("ex.shop.us.new", 2), ("ex.shop.eu.paid", 3)])


def test_europe_filter(lab):
    result = check.ex("10.1", lab)
    assert not result and "EX_SHOP" in result.message and "add_stream" not in result.message
    lab.add_stream("EX_SHOP", subjects=["ex.shop.>"])
    lab.publish("ex.shop.eu.new", 1)
    result = check.ex("10.1", lab)
    assert not result and "no message on ['ex.shop.eu.paid', 'ex.shop.us.new']" in result.message
    lab.publish_many([("ex.shop.us.new", 2), ("ex.shop.eu.paid", 3)])
    result = check.ex("10.1", lab)
    assert not result and "no consumer eu_watch" in result.message
    lab.add_consumer("EX_SHOP", "eu_watch", filter_subject="ex.shop.eu.new")
    result = check.ex("10.1", lab)
    assert not result and "miss ['ex.shop.eu.paid']" in result.message
    lab.delete_consumer("EX_SHOP", "eu_watch")
    lab.add_consumer("EX_SHOP", "eu_watch", filter_subject="ex.shop.>")
    result = check.ex("10.1", lab)
    assert not result and "let through ['ex.shop.us.new']" in result.message
    lab.delete_consumer("EX_SHOP", "eu_watch")
    lab.add_consumer("EX_SHOP", "eu_watch", filter_subject="ex.shop.eu.>")
    assert check.ex("10.1", lab)


def test_two_filters(lab):
    _shop(lab)
    assert not check.ex("10.2", lab)
    lab.add_consumer("EX_SHOP", "new_and_paid_us", filter_subject="ex.shop.*.new")
    result = check.ex("10.2", lab)
    assert not result and "needs 2" in result.message
    lab.delete_consumer("EX_SHOP", "new_and_paid_us")
    lab.add_consumer("EX_SHOP", "new_and_paid_us",
                     filter_subjects=["ex.shop.*.new", "ex.shop.*.paid"])
    result = check.ex("10.2", lab)
    assert not result and "let through ['ex.shop.eu.paid']" in result.message
    lab.delete_consumer("EX_SHOP", "new_and_paid_us")
    lab.add_consumer("EX_SHOP", "new_and_paid_us",
                     filter_subjects=["ex.shop.*.new", "ex.shop.us.paid"])
    assert check.ex("10.2", lab)
