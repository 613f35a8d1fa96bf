"""Exercise check of 00-welcome: fails until done, with a hint for each missing step."""

from __future__ import annotations

from jslab import check


def test_00_1_each_step_has_its_hint(lab):
    hints = []

    def not_yet(expected: str) -> None:
        result = check.ex("00.1", lab)
        assert not result and expected in result.message, result.message
        hints.append(result.message)

    not_yet("no stream GREETINGS")
    lab.add_stream("GREETINGS")
    lab.publish_many("GREETINGS", ["a", "b"])
    not_yet("holds 2 messages")
    lab.publish("GREETINGS", "c")
    not_yet("no consumer")
    lab.add_consumer("GREETINGS", "me")
    batch = lab.fetch("GREETINGS", "me", 3)
    batch[0].ack_sync()
    not_yet("ack floor is 1 of 3, with 2 awaiting ack")
    for msg in batch[1:]:
        msg.ack_sync()
    result = check.ex("00.1", lab)
    assert result.passed and "ack floor 3" in result.message and "still holds 3" in result.message
    # A hint points at the concept; the calls are in the notebook's solution cell.
    assert not [h for h in hints if "lab." in h]
