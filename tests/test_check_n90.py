"""Checks of 90-stream-configuration: each fails until its exercise is done, also half done."""

from __future__ import annotations

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_audit_needs_first_seq_guards_three_events_and_the_seal(lab):
    assert "no stream AUDIT" in _hint("90.1", lab)
    lab.add_stream("AUDIT", subjects=["audit.>"])
    assert "start at 500" in _hint("90.1", lab)
    lab.delete_stream("AUDIT")
    lab.add_stream("AUDIT", subjects=["audit.>"], first_seq=500, deny_delete=True)
    assert "deny_purge" in _hint("90.1", lab)
    lab.update_stream("AUDIT", deny_purge=True)
    lab.publish_many("audit.login", ["alice", "bob"])
    assert "holds 2 event(s)" in _hint("90.1", lab)
    lab.publish("audit.login", "carol")
    assert "not sealed" in _hint("90.1", lab)
    lab.update_stream("AUDIT", sealed=True)
    result = check.ex("90.1", lab)
    assert result.passed, result.message
    assert "from seq 500" in result.message


def test_quotes_needs_memory_one_per_subject_30s_rollups_and_five_quotes(lab):
    assert "no stream QUOTES" in _hint("90.2", lab)
    lab.add_stream("QUOTES", subjects=["quotes.*"])
    assert "memory" in _hint("90.2", lab)
    lab.delete_stream("QUOTES")
    lab.add_stream("QUOTES", subjects=["quotes.*"], storage="memory")
    assert "per subject" in _hint("90.2", lab)
    lab.update_stream("QUOTES", max_msgs_per_subject=1)
    assert "30 seconds" in _hint("90.2", lab)
    lab.update_stream("QUOTES", max_age=30, duplicate_window=30)   # an update does not cut it
    assert "rollup" in _hint("90.2", lab)
    lab.update_stream("QUOTES", allow_rollup_hdrs=True)
    lab.publish_many([("quotes.EUR", "1.08"), ("quotes.USD", "1.00")])
    assert "publish five" in _hint("90.2", lab)
    lab.publish_many([("quotes.EUR", "1.09"), ("quotes.USD", "1.01"), ("quotes.EUR", "1.07")])
    result = check.ex("90.2", lab)
    assert result.passed, result.message
    assert "holds 2 messages for 5 publishes" in result.message
    assert "cut to 30 s" in result.message
