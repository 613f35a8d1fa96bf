"""Checks of 11-deduplication: each fails until its exercise is done, then passes."""

from __future__ import annotations

from jslab import check


def test_stored_once(lab):
    assert "EX_DEDUP" in check.ex("11.1", lab).message
    lab.add_stream("EX_DEDUP", subjects=["ex.dedup"])
    result = check.ex("11.1", lab)
    assert not result and "30 s" in result.message
    lab.update_stream("EX_DEDUP", duplicate_window=30)
    assert "no 'hello'" in check.ex("11.1", lab).message
    for i in range(3):
        lab.publish("ex.dedup", "hello", msg_id=f"hello-{i}")
    result = check.ex("11.1", lab)
    assert not result and "3 times" in result.message
    lab.purge_stream("EX_DEDUP")
    lab.publish("ex.dedup", "hello")
    result = check.ex("11.1", lab)
    assert not result and "without a message id" in result.message
    lab.purge_stream("EX_DEDUP")
    for _ in range(3):
        lab.publish("ex.dedup", "hello", msg_id="hello-x")
    assert check.ex("11.1", lab)


def test_longest_window(lab):
    assert not check.ex("11.2", lab)
    lab.add_stream("EX_SHORT", subjects=["ex.short"], max_age=20)
    result = check.ex("11.2", lab)
    assert not result and "10 s" in result.message
    lab.update_stream("EX_SHORT", max_age=10, duplicate_window=5)
    result = check.ex("11.2", lab)
    assert not result and "longest" in result.message
    lab.update_stream("EX_SHORT", duplicate_window=10)
    assert check.ex("11.2", lab)
