"""Checks of 52-newer-server-features: each fails until its exercise is done, also half done;
on a server without the feature the check says which server it needs."""

from __future__ import annotations

import json
import time

import pytest

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def _pull(lab, stream, consumer, inbox, **request):
    """One raw pull request for a priority group; the messages that came back."""
    sub = lab.subscribe_core(inbox)
    lab.publish_core(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}",
                     json.dumps({"expires": 300_000_000, "batch": 1, **request}), reply=inbox)
    got = sub.fetch(10, timeout=0.8)
    sub.unsubscribe()
    return got


def _newer_server_needed(lab, exercise, feature):
    if lab.supports(feature):
        return False
    assert "needs nats-server" in _hint(exercise, lab)
    return True


def test_sessions_needs_a_ttl_a_marker_ttl_and_the_expiry(lab):
    if _newer_server_needed(lab, "52.1", "subject_delete_markers"):
        return
    assert "no stream SESSIONS" in _hint("52.1", lab)
    lab.add_stream("SESSIONS", ["sessions.>"], subject_delete_marker_ttl=1)
    assert "60 s" in _hint("52.1", lab)
    lab.update_stream("SESSIONS", subject_delete_marker_ttl=60)
    assert "one per user" in _hint("52.1", lab)
    lab.update_stream("SESSIONS", max_msgs_per_subject=1)
    assert "bob" in _hint("52.1", lab)
    lab.publish("sessions.bob", "b")
    assert "no message on sessions.alice" in _hint("52.1", lab)
    lab.publish("sessions.alice", "a")
    assert "no TTL" in _hint("52.1", lab)
    lab.publish("sessions.alice", "a", ttl=1)
    assert "not expired yet" in _hint("52.1", lab)
    deadline = time.monotonic() + 4
    while not check.ex("52.1", lab) and time.monotonic() < deadline:
        time.sleep(0.1)
    result = check.ex("52.1", lab)
    assert result.passed, result.message
    assert "MaxAge" in result.message


def test_votes_needs_a_counter_stream_and_a_vote_taken_back(lab):
    if _newer_server_needed(lab, "52.2", "counters"):
        return
    assert "no stream VOTES" in _hint("52.2", lab)
    lab.add_stream("VOTES", ["votes.>"])
    assert "not a counter stream" in _hint("52.2", lab)
    lab.delete_stream("VOTES")
    lab.add_stream("VOTES", ["votes.>"], allow_msg_counter=True)
    assert "votes.no counts 0" in _hint("52.2", lab)
    lab.publish("votes.no", headers={"Nats-Incr": "1"})
    for _ in range(3):
        lab.publish("votes.yes", headers={"Nats-Incr": "1"})
    assert "negative increment" in _hint("52.2", lab)
    lab.publish("votes.yes", headers={"Nats-Incr": "-1"})
    result = check.ex("52.2", lab)
    assert result.passed, result.message
    assert "votes.yes counts 2" in result.message


def test_votes_refuses_a_total_reached_another_way(lab):
    if _newer_server_needed(lab, "52.2", "counters"):
        pytest.skip("counters need nats-server 2.12")
    lab.add_stream("VOTES", ["votes.>"], allow_msg_counter=True)
    lab.publish("votes.no", headers={"Nats-Incr": "1"})
    lab.publish("votes.yes", headers={"Nats-Incr": "2"})
    assert "should end at 2" in _hint("52.2", lab)


def test_pinned_needs_the_policy_and_two_pulls_by_the_pinned_client(lab):
    if _newer_server_needed(lab, "52.3", "priority_groups"):
        return
    assert "no stream FEED" in _hint("52.3", lab)
    lab.add_stream("FEED", ["feed.>"])
    assert "no consumer 'reader'" in _hint("52.3", lab)
    lab.api("CONSUMER.CREATE.FEED.reader", {"stream_name": "FEED", "config": {
        "durable_name": "reader", "ack_policy": "explicit", "priority_groups": ["main"],
        "priority_policy": "overflow"}})
    assert "pinned-client policy" in _hint("52.3", lab)
    lab.delete_consumer("FEED", "reader")
    lab.api("CONSUMER.CREATE.FEED.reader", {"stream_name": "FEED", "config": {
        "durable_name": "reader", "ack_policy": "explicit", "priority_groups": ["main"],
        "priority_policy": "pinned_client"}})
    assert "publish 3" in _hint("52.3", lab)
    lab.publish_many("feed.news", ["n1", "n2", "n3"])
    assert "nobody is pinned" in _hint("52.3", lab)
    got = _pull(lab, "FEED", "reader", "pulls.a1", group="main")
    pin = got[0].headers["Nats-Pin-Id"]
    assert "Nats-Pin-Id" in _hint("52.3", lab)
    other = _pull(lab, "FEED", "reader", "pulls.b1", group="main")
    assert other[0].headers["Status"] == "408"
    assert "delivered 1 message" in _hint("52.3", lab)
    _pull(lab, "FEED", "reader", "pulls.a2", group="main", id=pin)
    result = check.ex("52.3", lab)
    assert result.passed, result.message
    assert "received 2 of 3" in result.message
