"""Checks of 06-consumers: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_nightly_report_must_be_durable_with_an_hour_threshold(lab):
    assert "no stream REPORTS" in _hint("06.1", lab)
    lab.add_stream("REPORTS", subjects=["reports.>"])
    assert "no consumer" in _hint("06.1", lab)
    lab.add_consumer("REPORTS", name="nightly-report", inactive_threshold=3600)
    assert "not durable" in _hint("06.1", lab)
    lab.delete_consumer("REPORTS", "nightly-report")
    lab.add_consumer("REPORTS", "nightly-report")
    assert "never expires" in _hint("06.1", lab)
    lab.delete_consumer("REPORTS", "nightly-report")
    lab.add_consumer("REPORTS", "nightly-report", inactive_threshold=60)
    assert "3600" in _hint("06.1", lab)
    lab.delete_consumer("REPORTS", "nightly-report")
    lab.add_consumer("REPORTS", "nightly-report", inactive_threshold=3600)
    assert check.ex("06.1", lab).passed


def test_browse_must_be_ephemeral_without_acks_and_read_everything(lab):
    lab.add_stream("REPORTS", subjects=["reports.>"])
    lab.add_consumer("REPORTS", "browse", inactive_threshold=60, ack_policy="none")
    assert "durable" in _hint("06.2", lab)
    lab.delete_consumer("REPORTS", "browse")
    lab.add_consumer("REPORTS", name="browse", inactive_threshold=60)
    assert "ack_policy" in _hint("06.2", lab)
    lab.delete_consumer("REPORTS", "browse")
    lab.add_consumer("REPORTS", name="browse", inactive_threshold=60, ack_policy="none")
    assert "publish three" in _hint("06.2", lab)
    lab.publish_many("reports.daily", ["mon", "tue", "wed"])
    lab.fetch("REPORTS", "browse", 2)
    assert "fetch the rest" in _hint("06.2", lab)
    lab.fetch("REPORTS", "browse", 10)
    result = check.ex("06.2", lab)
    assert result.passed, result.message


def test_browse_with_the_default_threshold_is_not_enough(lab):
    lab.add_stream("REPORTS", subjects=["reports.>"])
    lab.add_consumer("REPORTS", name="browse", ack_policy="none")
    assert "expires after 5 s unused" in _hint("06.2", lab)
