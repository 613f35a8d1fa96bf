"""Checks of 02-mental-model: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def test_02_1_needs_stream_messages_and_both_consumers(lab):
    result = check.ex("02.1", lab)
    assert "no stream CLICKS" in result.message and "lab." not in result.message
    lab.add_stream("CLICKS", subjects=["clicks.>"])
    lab.publish_many("clicks.home", [1, 2])
    assert "at least 4" in check.ex("02.1", lab).message
    lab.publish_many("clicks.cart", [3, 4])
    assert "'replay'" in check.ex("02.1", lab).message
    lab.add_consumer("CLICKS", "replay")
    lab.add_consumer("CLICKS", "tail")  # starts at the first message, not at new ones
    result = check.ex("02.1", lab)
    assert not result and "'tail'" in result.message and "'new'" in result.message
    lab.delete_consumer("CLICKS", "tail")
    lab.add_consumer("CLICKS", "tail", deliver_policy="new")
    result = check.ex("02.1", lab)
    assert result.passed and "4 unprocessed" in result.message and "0 unprocessed" in result.message


def test_02_1_wrong_subjects_are_named(lab):
    lab.add_stream("CLICKS", subjects=["clicks.*"])
    assert "clicks.>" in check.ex("02.1", lab).message


def test_02_2_needs_a_running_upper_case_responder(lab):
    result = check.ex("02.2", lab)
    assert "no one answered" in result.message and "lab." not in result.message
    wrong = lab.respond("text.upper", lambda text: str(text))
    assert "upper case" in check.ex("02.2", lab).message
    wrong.unsubscribe()
    right = lab.respond("text.upper", lambda text: str(text).upper())
    assert check.ex("02.2", lab).passed
    right.unsubscribe()
    assert not check.ex("02.2", lab)


def test_02_3_every_instance_must_answer(lab):
    result = check.ex("02.3", lab)
    assert "no one answered" in result.message and "lab." not in result.message
    grouped = [lab.respond("status.ping", lambda _r, n=n: n, queue="status") for n in "ab"]
    assert "queue group" in check.ex("02.3", lab).message  # one reply: the group shared it
    for sub in grouped:
        sub.unsubscribe()
    same = [lab.respond("status.ping", lambda _r: "me") for _ in range(2)]
    assert "own name" in check.ex("02.3", lab).message
    for sub in same:
        sub.unsubscribe()
    both = [lab.respond("status.ping", lambda _r, n=n: n) for n in ("one", "two")]
    result = check.ex("02.3", lab)
    assert result.passed and "2 instances" in result.message and "['one', 'two']" in result.message
    for sub in both:
        sub.unsubscribe()
