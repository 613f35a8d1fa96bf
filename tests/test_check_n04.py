"""Checks of 04-limits-and-discard: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_04_1_needs_the_limit_and_enough_messages(lab):
    assert "no stream DEVICES" in _hint("04.1", lab)
    lab.add_stream("DEVICES", subjects=["devices.>"])
    assert "max_msgs_per_subject=-1" in _hint("04.1", lab)
    lab.update_stream("DEVICES", max_msgs_per_subject=3)
    lab.publish_many("devices.d1.status", ["a", "b", "c"])
    assert "publish 5" in _hint("04.1", lab)
    lab.publish_many("devices.d1.status", ["d", "e"])
    assert check.ex("04.1", lab).passed


def test_04_2_needs_discard_new_and_a_full_stream(lab):
    assert "no stream INBOX" in _hint("04.2", lab)
    lab.add_stream("INBOX", subjects=["inbox.>"], max_msgs=4)
    assert "refuse the new ones" in _hint("04.2", lab)
    lab.update_stream("INBOX", discard="new")
    lab.publish_many("inbox.mail", ["m1", "m2"])
    assert "2 of 4" in _hint("04.2", lab)
    lab.publish_many("inbox.mail", ["m3", "m4"])
    assert check.ex("04.2", lab).passed


def test_04_3_needs_exactly_the_gap_at_4(lab):
    assert "no stream TAPE" in _hint("04.3", lab)
    lab.add_stream("TAPE", subjects=["tape.>"])
    lab.publish_many("tape.x", [1, 2, 3, 4, 5, 6])
    assert "still there" in _hint("04.3", lab)
    lab.delete_msg("TAPE", 5)
    lab.delete_msg("TAPE", 4)
    assert "also gone: [5]" in _hint("04.3", lab)
    lab.delete_stream("TAPE")
    lab.add_stream("TAPE", subjects=["tape.>"])
    lab.publish_many("tape.x", [1, 2, 3, 4, 5, 6])
    lab.delete_msg("TAPE", 4)
    assert check.ex("04.3", lab).passed
