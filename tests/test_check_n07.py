"""Checks of 07-start-and-replay: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def _metrics(lab, per_subject=2):
    lab.add_stream("METRICS", subjects=["metrics.>"])
    for i in range(per_subject):
        lab.publish_many([("metrics.cpu", i), ("metrics.mem", i)])


def test_latest_needs_readings_and_last_per_subject(lab):
    assert "no stream METRICS" in _hint("07.1", lab)
    _metrics(lab, per_subject=1)
    assert "at least two" in _hint("07.1", lab)
    lab.publish_many([("metrics.cpu", 9), ("metrics.mem", 9)])
    assert "no consumer 'latest'" in _hint("07.1", lab)
    lab.add_consumer("METRICS", "latest", deliver_policy="last")
    assert "not one per subject" in _hint("07.1", lab)
    lab.delete_consumer("METRICS", "latest")
    lab.add_consumer("METRICS", "latest")
    assert "'all'" in _hint("07.1", lab)
    lab.delete_consumer("METRICS", "latest")
    lab.add_consumer("METRICS", "latest", deliver_policy="last_per_subject",
                     filter_subject="metrics.>")
    result = check.ex("07.1", lab)
    assert result.passed, result.message
    assert lab.fetch("METRICS", "latest", 10).seqs == [3, 4]


def test_from5_needs_start_sequence_and_original_replay(lab):
    _metrics(lab, per_subject=3)
    assert "no consumer 'from5'" in _hint("07.2", lab)
    lab.add_consumer("METRICS", "from5", deliver_policy="by_start_sequence", opt_start_seq=4,
                     replay_policy="original")
    assert "opt_start_seq=4" in _hint("07.2", lab)
    lab.delete_consumer("METRICS", "from5")
    lab.add_consumer("METRICS", "from5", deliver_policy="by_start_sequence", opt_start_seq=5)
    assert "original" in _hint("07.2", lab)
    lab.delete_consumer("METRICS", "from5")
    lab.add_consumer("METRICS", "from5", deliver_policy="by_start_sequence", opt_start_seq=5,
                     replay_policy="original")
    result = check.ex("07.2", lab)
    assert result.passed, result.message
