"""Checks of 05-retention: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def test_chores_needs_workqueue_filters_and_acks(lab):
    assert "no stream CHORES" in check.ex("05.1", lab).message
    lab.add_stream("CHORES", subjects=["chores.>"])
    assert "retention" in check.ex("05.1", lab).message
    lab.delete_stream("CHORES")
    lab.add_stream("CHORES", subjects=["chores.>"], retention="workqueue")
    lab.add_consumer("CHORES", "kitchen", filter_subject="chores.kitchen")
    assert "garden" in check.ex("05.1", lab).message
    lab.add_consumer("CHORES", "garden", filter_subject="chores.garden")
    lab.publish_many([("chores.kitchen", "a"), ("chores.garden", "b"),
                      ("chores.kitchen", "c"), ("chores.garden", "d")])
    batch = lab.fetch("CHORES", "kitchen", 10)
    batch[0].ack_sync()
    result = check.ex("05.1", lab)
    assert not result and "still stored" in result.message
    batch[1].ack_sync()
    result = check.ex("05.1", lab)
    assert result.passed, result.message


def test_alerts_needs_interest_and_the_archive_acks(lab):
    assert not check.ex("05.2", lab)
    lab.add_stream("ALERTS", subjects=["alerts.>"], retention="interest")
    lab.add_consumer("ALERTS", "pager", filter_subject="alerts.info")
    assert "alerts.critical" in check.ex("05.2", lab).message
    lab.delete_consumer("ALERTS", "pager")
    lab.add_consumer("ALERTS", "pager", filter_subject="alerts.critical")
    lab.add_consumer("ALERTS", "archive")
    lab.publish_many([("alerts.info", "x"), ("alerts.critical", "y")])
    assert "received 0" in check.ex("05.2", lab).message
    batch = lab.fetch("ALERTS", "archive", 10)
    assert "unacked" in check.ex("05.2", lab).message
    batch.ack_sync()
    result = check.ex("05.2", lab)
    assert result.passed, result.message
    lab.fetch("ALERTS", "pager", 10).ack_sync()
    assert "no critical alert" in check.ex("05.2", lab).message
