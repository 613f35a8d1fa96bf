"""Checks of 92-from-the-nats-cli: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message and "kv." not in result.message, result.message
    return result.message


def test_tickets_needs_the_limit_three_publishes_and_one_acked_next(lab):
    assert "no stream TICKETS" in _hint("92.1", lab)
    lab.add_stream("TICKETS", subjects=["tickets.>"])
    assert "per subject" in _hint("92.1", lab)
    lab.update_stream("TICKETS", max_msgs_per_subject=2)
    lab.publish("tickets.open", "ticket 1")
    assert "received 1 message(s)" in _hint("92.1", lab)
    lab.publish_many("tickets.open", ["ticket 2", "ticket 3"])
    assert "no consumer triage" in _hint("92.1", lab)
    lab.add_consumer("TICKETS", "triage", filter_subject="tickets.>")
    assert "filters on ['tickets.>']" in _hint("92.1", lab)
    lab.delete_consumer("TICKETS", "triage")
    lab.add_consumer("TICKETS", "triage", filter_subject="tickets.open")
    assert "delivered nothing" in _hint("92.1", lab)
    held = lab.fetch("TICKETS", "triage", 1)
    assert "waiting for an ack" in _hint("92.1", lab)
    held.ack_sync()
    result = check.ex("92.1", lab)
    assert result.passed, result.message
    assert "keeps 2 of 3 tickets (seq 2..3)" in result.message
    assert "acked seq 2 and has 1 left" in result.message


def test_tickets_refuses_a_next_that_took_everything(lab):
    lab.add_stream("TICKETS", subjects=["tickets.>"], max_msgs_per_subject=2)
    lab.publish_many("tickets.open", ["ticket 1", "ticket 2", "ticket 3"])
    lab.add_consumer("TICKETS", "triage", filter_subject="tickets.open")
    lab.fetch_and_ack("TICKETS", "triage", 2, sync=True)
    assert "--count 1 takes one" in _hint("92.1", lab)


def test_flags_needs_history_two_puts_and_a_purge(lab):
    assert "no bucket flags" in _hint("92.2", lab)
    flags = lab.create_kv("flags")
    assert "--history 3" in _hint("92.2", lab)
    lab.delete_kv("flags")
    flags = lab.create_kv("flags", history=3)
    flags.put("dark_mode", "on")
    assert "1 revision(s)" in _hint("92.2", lab)
    flags.put("dark_mode", "off")
    assert "no key beta" in _hint("92.2", lab)
    flags.put("beta", "on")
    assert "still reads as a value" in _hint("92.2", lab)
    flags.delete("beta")
    assert "delete marker" in _hint("92.2", lab)
    flags.purge("beta")
    result = check.ex("92.2", lab)
    assert result.passed, result.message
    assert "holds 3 messages" in result.message
