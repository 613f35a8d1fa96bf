"""Checks of 11-deduplication: each fails until its exercise is done, then passes."""

from __future__ import annotations

import time

from jslab import check


def test_stored_once(lab):
    result = check.ex("11.1", lab)
    assert not result and "EX_DEDUP" in result.message and "add_stream" not in result.message
    lab.add_stream("EX_DEDUP", subjects=["ex.dedup"])
    result = check.ex("11.1", lab)
    assert not result and "120 s" in result.message and "30 s" in result.message
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
    assert not result and "max_age is 20 s" in result.message
    lab.update_stream("EX_SHORT", max_age=10, duplicate_window=5)
    result = check.ex("11.2", lab)
    assert not result and "longest" in result.message
    lab.update_stream("EX_SHORT", duplicate_window=10)
    assert check.ex("11.2", lab)


def test_longest_window_by_default(lab):
    # Left out, the 2-minute default window is capped to a shorter max_age by the server.
    lab.add_stream("EX_SHORT", subjects=["ex.short"], max_age=10)
    assert check.ex("11.2", lab)


def test_after_the_window(lab):
    result = check.ex("11.3", lab)
    assert not result and "EX_WINDOW" in result.message
    lab.add_stream("EX_WINDOW", subjects=["ex.window"])
    result = check.ex("11.3", lab)
    assert not result and "1 s" in result.message
    lab.update_stream("EX_WINDOW", duplicate_window=1)
    assert "no 'ping'" in check.ex("11.3", lab).message
    lab.publish("ex.window", "ping", msg_id="ping-1")
    lab.publish("ex.window", "ping", msg_id="ping-1")     # inside the window: not stored
    result = check.ex("11.3", lab)
    assert not result and "stored 'ping' once" in result.message
    lab.publish("ex.window", "ping", msg_id="ping-2")
    result = check.ex("11.3", lab)
    assert not result and "different ids" in result.message
    lab.purge_stream("EX_WINDOW")
    lab.publish("ex.window", "ping")
    result = check.ex("11.3", lab)
    assert not result and "without a message id" in result.message
    lab.purge_stream("EX_WINDOW")
    lab.publish("ex.window", "ping", msg_id="ping-9")
    time.sleep(1.2)
    lab.publish("ex.window", "ping", msg_id="ping-9")
    assert check.ex("11.3", lab)
    time.sleep(1.2)
    lab.publish("ex.window", "ping", msg_id="ping-9")
    result = check.ex("11.3", lab)
    assert not result and "3 times" in result.message
