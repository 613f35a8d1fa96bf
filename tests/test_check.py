"""Exercise checks: each fails until its exercise is done, then passes."""

from __future__ import annotations

import pytest

from jslab import check
from jslab.errors import JslabError


def test_unknown_exercise_names_the_known_ones(lab):
    with pytest.raises(JslabError, match="known exercises"):
        check.ex("99.9", lab)


def test_every_exercise_fails_on_an_empty_server(lab):
    ids = check.exercises()
    assert ids, "no exercises registered"
    for ex_id in ids:
        result = check.ex(ex_id, lab)
        assert not result.passed, f"{ex_id} passed on an empty server"
        assert result.message


def test_welcome_exercise_passes_only_when_done(lab):
    assert not check.ex("00.1", lab)
    lab.add_stream("GREETINGS")
    lab.publish_many("GREETINGS", ["a", "b", "c"])
    lab.add_consumer("GREETINGS", "me")
    assert "ack" in check.ex("00.1", lab).message
    lab.fetch("GREETINGS", "me", 3).ack_sync()
    result = check.ex("00.1", lab)
    assert result.passed and repr(result).startswith("✓ 00.1 passed")
