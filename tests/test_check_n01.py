"""Exercise checks of 01-reading-the-pictures fail until done, then pass."""

from __future__ import annotations

from jslab import check


def test_picker_position(lab):
    assert "no stream EX01" in check.ex("01.1", lab).message
    assert "lab." not in check.ex("01.1", lab).message  # a hint names the concept, not the call
    lab.add_stream("EX01", subjects=["ex01.>"])
    lab.publish_many("ex01.x", range(8))
    assert "no consumer named picker" in check.ex("01.1", lab).message
    lab.add_consumer("EX01", "picker")
    lab.fetch("EX01", "picker", 3).ack_sync()
    assert "ack floor is 3" in check.ex("01.1", lab).message
    lab.fetch("EX01", "picker", 1).ack_sync()
    lab.fetch("EX01", "picker", 3)
    assert "delivered up to 7" in check.ex("01.1", lab).message


def test_picker_position_done(lab):
    lab.add_stream("EX01", subjects=["ex01.>"])
    lab.publish_many("ex01.x", range(8))
    lab.add_consumer("EX01", "picker")
    lab.fetch("EX01", "picker", 4).ack_sync()
    lab.fetch("EX01", "picker", 2)
    result = check.ex("01.1", lab)
    assert result.passed and "2 unprocessed" in result.message


def test_gap(lab):
    lab.add_stream("EX01", subjects=["ex01.>"])
    lab.publish_many("ex01.x", range(8))
    result = check.ex("01.2", lab)
    assert "no gaps" in result.message and "lab." not in result.message
    lab.delete_msg("EX01", 4)
    assert "gaps at [4]" in check.ex("01.2", lab).message
    lab.delete_msg("EX01", 3)
    result = check.ex("01.2", lab)
    assert result.passed and "seq 1..8, 6 messages" in result.message
