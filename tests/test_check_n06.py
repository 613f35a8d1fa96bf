"""Checks of 06-consumers: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def test_nightly_report_must_be_durable_with_an_hour_threshold(lab):
    assert "no stream REPORTS" in check.ex("06.1", lab).message
    lab.add_stream("REPORTS", subjects=["reports.>"])
    assert "no consumer" in check.ex("06.1", lab).message
    lab.add_consumer("REPORTS", name="nightly-report", inactive_threshold=3600)
    assert "not durable" in check.ex("06.1", lab).message
    lab.delete_consumer("REPORTS", "nightly-report")
    lab.add_consumer("REPORTS", "nightly-report")
    assert "never expires" in check.ex("06.1", lab).message
    lab.delete_consumer("REPORTS", "nightly-report")
    lab.add_consumer("REPORTS", "nightly-report", inactive_threshold=60)
    assert "3600" in check.ex("06.1", lab).message
    lab.delete_consumer("REPORTS", "nightly-report")
    lab.add_consumer("REPORTS", "nightly-report", inactive_threshold=3600)
    assert check.ex("06.1", lab).passed


def test_browse_must_be_ephemeral_without_acks_and_read_everything(lab):
    lab.add_stream("REPORTS", subjects=["reports.>"])
    lab.add_consumer("REPORTS", "browse", inactive_threshold=60, ack_policy="none")
    assert "durable" in check.ex("06.2", lab).message
    lab.delete_consumer("REPORTS", "browse")
    lab.add_consumer("REPORTS", name="browse", inactive_threshold=60)
    assert "ack_policy" in check.ex("06.2", lab).message
    lab.delete_consumer("REPORTS", "browse")
    lab.add_consumer("REPORTS", name="browse", inactive_threshold=60, ack_policy="none")
    assert "publish three" in check.ex("06.2", lab).message
    lab.publish_many("reports.daily", ["mon", "tue", "wed"])
    lab.fetch("REPORTS", "browse", 2)
    assert "fetch the rest" in check.ex("06.2", lab).message
    lab.fetch("REPORTS", "browse", 10)
    result = check.ex("06.2", lab)
    assert result.passed, result.message


def test_browse_with_the_default_threshold_is_not_enough(lab):
    lab.add_stream("REPORTS", subjects=["reports.>"])
    lab.add_consumer("REPORTS", name="browse", ack_policy="none")
    assert "inactive_threshold=60" in check.ex("06.2", lab).message
