"""Checks of 03-subjects-and-streams: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def test_03_1_too_wide_subjects_fail(lab):
    result = check.ex("03.1", lab)
    assert "no stream METRICS" in result.message and "lab." not in result.message
    lab.add_stream("METRICS", subjects=["metrics.>"])
    assert "also captures" in check.ex("03.1", lab).message


def test_03_1_missing_kind_and_readings(lab):
    lab.add_stream("METRICS", subjects=["metrics.*.temp"])
    assert "does not capture 'metrics.attic.humidity'" in check.ex("03.1", lab).message
    lab.update_stream("METRICS", subjects=["metrics.*.temp", "metrics.*.humidity"])
    lab.publish("metrics.kitchen.temp", 21)
    result = check.ex("03.1", lab)
    assert "no humidity reading" in result.message and "metrics.<room>.humidity" in result.message
    lab.publish("metrics.hall.humidity", 40)
    assert check.ex("03.1", lab).passed


def test_03_2_needs_file_storage_three_entries_and_last_balance(lab):
    result = check.ex("03.2", lab)
    assert "no stream LEDGER" in result.message and "lab." not in result.message
    lab.add_stream("LEDGER", subjects=["ledger.>"], storage="memory")
    result = check.ex("03.2", lab)
    assert "memory" in result.message and "storage=" not in result.message
    lab.delete_stream("LEDGER")
    lab.add_stream("LEDGER", subjects=["ledger.>"])
    lab.publish_many("ledger.acct.7", [{"balance": 10}, {"balance": 20}])
    assert "2 entries" in check.ex("03.2", lab).message
    lab.publish("ledger.acct.7", {"balance": 99})
    assert "{'balance': 99}" in check.ex("03.2", lab).message
    lab.publish("ledger.acct.7", {"balance": 30})
    result = check.ex("03.2", lab)
    assert result.passed and "the last at seq 4" in result.message
