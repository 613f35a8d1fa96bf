"""Checks of 05-retention: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_chores_needs_workqueue_filters_and_acks(lab):
    assert "no stream CHORES" in _hint("05.1", lab)
    lab.add_stream("CHORES", subjects=["chores.>"])
    assert "retention" in _hint("05.1", lab)
    lab.delete_stream("CHORES")
    lab.add_stream("CHORES", subjects=["chores.>"], retention="workqueue")
    lab.add_consumer("CHORES", "kitchen", filter_subject="chores.kitchen")
    assert "garden" in _hint("05.1", lab)
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
    assert "alerts.critical" in _hint("05.2", lab)
    lab.delete_consumer("ALERTS", "pager")
    lab.add_consumer("ALERTS", "pager", filter_subject="alerts.critical")
    lab.add_consumer("ALERTS", "archive")
    lab.publish_many([("alerts.info", "x"), ("alerts.critical", "y")])
    assert "received 0" in _hint("05.2", lab)
    batch = lab.fetch("ALERTS", "archive", 10)
    assert "unacked" in _hint("05.2", lab)
    batch.ack_sync()
    result = check.ex("05.2", lab)
    assert result.passed, result.message
    lab.fetch("ALERTS", "pager", 10).ack_sync()
    assert "no critical alert" in _hint("05.2", lab)


def test_prints_needs_a_term_an_ack_and_a_job_given_up(lab):
    assert "no stream PRINTS" in _hint("05.3", lab)
    lab.add_stream("PRINTS", subjects=["prints.>"], retention="workqueue")
    assert "no consumer 'printer'" in _hint("05.3", lab)
    lab.add_consumer("PRINTS", "printer")
    assert "max_deliver=-1" in _hint("05.3", lab)
    lab.delete_consumer("PRINTS", "printer")
    lab.add_consumer("PRINTS", "printer", max_deliver=2)
    assert "publish three" in _hint("05.3", lab)
    lab.publish_many("prints.job", ["a", "b", "c"])
    first = lab.fetch("PRINTS", "printer", 3)
    assert "job 3 is still stored" in _hint("05.3", lab)
    first[2].ack_sync()
    assert "job 1 is still stored" in _hint("05.3", lab)
    first[0].term()
    first[1].nak()
    again = lab.fetch("PRINTS", "printer", 3, wait=0.5)
    assert again.seqs == [2]
    again[0].nak()
    result = check.ex("05.3", lab)
    assert not result and "ack pending" in result.message, result.message
    assert lab.fetch("PRINTS", "printer", 3, wait=0.3).seqs == []
    result = check.ex("05.3", lab)
    assert result.passed, result.message
    assert "ack floor is 1" in result.message


def test_prints_refuses_a_job_2_that_was_acked(lab):
    lab.add_stream("PRINTS", subjects=["prints.>"], retention="workqueue")
    lab.add_consumer("PRINTS", "printer", max_deliver=2)
    lab.publish_many("prints.job", ["a", "b", "c"])
    lab.fetch("PRINTS", "printer", 3).ack_sync()
    assert "job 2 is gone" in _hint("05.3", lab)
