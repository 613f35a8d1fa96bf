"""Checks of 21-fan-out: each fails until its exercise is done, also half done."""

from __future__ import annotations

import pytest

from jslab import check
from jslab.check.n21 import transformed


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def test_payments_needs_three_durables_and_their_lags(lab):
    assert "no stream PAYMENTS" in _hint("21.1", lab)
    lab.add_stream("PAYMENTS", subjects=["payments.>"], retention="interest")
    assert "retention" in _hint("21.1", lab)
    lab.delete_stream("PAYMENTS")
    lab.add_stream("PAYMENTS", subjects=["payments.>"])
    lab.add_consumer("PAYMENTS", "ledger")
    assert "no consumer 'fraud'" in _hint("21.1", lab)
    lab.add_consumer("PAYMENTS", "fraud")
    assert "payments.card" in _hint("21.1", lab)
    lab.delete_consumer("PAYMENTS", "fraud")
    lab.add_consumer("PAYMENTS", "fraud", filter_subject="payments.card")
    lab.add_consumer("PAYMENTS", "receipts")
    assert "publish two of each" in _hint("21.1", lab)
    lab.publish_many([("payments.card", "1"), ("payments.bank", "2"),
                      ("payments.card", "3"), ("payments.bank", "4")])
    assert "ledger still has 4" in _hint("21.1", lab)
    lab.fetch_and_ack("PAYMENTS", "ledger", 10, sync=True)
    assert "receipts has acknowledged 0" in _hint("21.1", lab)
    lab.fetch_and_ack("PAYMENTS", "receipts", 2, sync=True)
    result = check.ex("21.1", lab)
    assert result.passed, result.message
    assert "fraud 2" in result.message and "receipts 2" in result.message
    lab.fetch_and_ack("PAYMENTS", "fraud", 1, sync=True)
    assert "fraud has been delivered 1" in _hint("21.1", lab)


def test_payments_refuses_an_ephemeral_reader(lab):
    lab.add_stream("PAYMENTS", subjects=["payments.>"])
    lab.add_consumer("PAYMENTS", name="ledger", inactive_threshold=60)
    assert "not durable" in _hint("21.1", lab)


def test_sensors_needs_a_republish_to_dash_room(lab):
    assert "no stream SENSORS" in _hint("21.2", lab)
    lab.add_stream("SENSORS", subjects=["sensors.>"])
    assert "does not republish" in _hint("21.2", lab)
    lab.update_stream("SENSORS", republish={"src": "sensors.*",
                                            "dest": "dash.sensors.{{wildcard(1)}}"})
    assert "dash.sensors.kitchen" in _hint("21.2", lab)
    lab.update_stream("SENSORS", republish={"src": "sensors.*", "dest": "dash.{{wildcard(1)}}",
                                            "headers_only": True})
    assert "headers only" in _hint("21.2", lab)
    lab.update_stream("SENSORS", republish={"src": "sensors.*", "dest": "dash.{{wildcard(1)}}"})
    assert "no reading yet" in _hint("21.2", lab)
    dash = lab.subscribe_core("dash.>")
    lab.publish("sensors.kitchen", "21.5")
    copy = dash.next(timeout=2)
    assert copy.subject == "dash.kitchen" and copy.headers["Nats-Sequence"] == "1"
    result = check.ex("21.2", lab)
    assert result.passed, result.message


@pytest.mark.parametrize(("src", "dest", "subject", "expected"), [
    ("sensors.*", "dash.{{wildcard(1)}}", "sensors.kitchen", "dash.kitchen"),
    ("sensors.*", "dash.{{ wildcard(1) }}", "sensors.kitchen", "dash.kitchen"),
    ("sensors.*", "dash.$1", "sensors.kitchen", "dash.kitchen"),
    ("sensors.>", "dash.>", "sensors.kitchen", "dash.kitchen"),
    (">", "dash.>", "sensors.kitchen", "dash.sensors.kitchen"),
    ("sensors.*.*", "dash.{{wildcard(2)}}", "sensors.kitchen.temp", "dash.temp"),
    ("sensors.*", "dash.{{wildcard(2)}}", "sensors.kitchen", None),
    ("other.*", "dash.{{wildcard(1)}}", "sensors.kitchen", None),
    ("sensors.*", "dash.{{wildcard(1)}}", "sensors.kitchen.temp", None),
])
def test_transformed(src, dest, subject, expected):
    assert transformed(src, dest, subject) == expected


def test_notify_needs_interest_and_both_durables_done(lab):
    assert "no stream NOTIFY" in _hint("21.3", lab)
    lab.add_stream("NOTIFY", subjects=["notify.>"])
    assert "retention" in _hint("21.3", lab)
    lab.delete_stream("NOTIFY")
    lab.add_stream("NOTIFY", subjects=["notify.>"], retention="interest")
    lab.add_consumer("NOTIFY", "sms")
    assert "no consumer 'push'" in _hint("21.3", lab)
    lab.add_consumer("NOTIFY", "push")
    assert "publish three" in _hint("21.3", lab)
    lab.publish_many("notify.user", ["a", "b", "c"])
    lab.fetch_and_ack("NOTIFY", "sms", 10, sync=True)
    message = _hint("21.3", lab)
    assert "holds 3" in message and "push still owes 3" in message
    lab.fetch_and_ack("NOTIFY", "push", 10, sync=True)
    result = check.ex("21.3", lab)
    assert result.passed, result.message
