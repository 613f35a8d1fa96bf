"""The nbval sanitizer normalises what changes between runs, and never a lesson's numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CFG = Path(__file__).with_name("nbval_sanitize.cfg")


def sanitize(text: str) -> str:
    """What nbval does with the file: every pair, in file order."""
    for regex, replace in get_sanitize_patterns(CFG.read_text(encoding="utf-8")):
        text = re.sub(regex, replace, text)
    return text


def test_every_pattern_is_read_and_compiles():
    patterns = get_sanitize_patterns(CFG.read_text(encoding="utf-8"))
    regex_lines = [ln for ln in CFG.read_text().splitlines() if ln.startswith("regex: ")]
    assert len(patterns) == len(regex_lines) >= 10
    for regex, _ in patterns:
        re.compile(regex)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("created 2024-05-01T12:00:03.123456789Z", "created DATETIME"),
        ("ts=2024-05-01 12:00:03+00:00", "ts=DATETIME"),
        (
            "datetime.datetime(2024, 5, 1, 12, 0, 3, 123456, tzinfo=datetime.timezone.utc)",
            "datetime.datetime(DATETIME)",
        ),
        ("at 06:01:33 the consumer", "at HH:MM:SS the consumer"),
        ("Timedelta('0 days 00:00:00.001234')", "Timedelta('0 days HH:MM:SS')"),
        ("took 10.3 ms", "took DURATION"),
        ("ready in 0.52 s.", "ready in DURATION."),
        ("ready in 13ms", "ready in DURATION"),
        ("took 250 µs", "took DURATION"),
        ("52,341 msgs/s and 1.2 MB/s", "RATE and RATE"),
        (
            "1.23 µs ± 4.56 ns per loop (mean ± std. dev. of 7 runs, 100,000 loops each)",
            "DURATION ± DURATION per loop (TIMEIT)",
        ),
        ("nats://127.0.0.1:53421", "nats://127.0.0.1:PORT"),
        ("http://127.0.0.1:8222/healthz", "http://127.0.0.1:PORT/healthz"),
        ("'/tmp/jslab-ux_7j1di/jetstream'", "'/tmp/TMPDIR/jetstream'"),
        ("<jslab.lab.Lab object at 0x7fa41246f3c0>", "<jslab.lab.Lab object at 0xADDRESS>"),
        ("reply to _INBOX.Kp2G3a9dLqXzR1bYc7uVwE.42", "reply to _INBOX.ID"),
        ("consumer 'Kp2G3a9dLqXzR1bYc7uVwE'", "consumer 'NUID'"),
        ("leader " + "N" + "A" * 55, "leader SERVER_ID"),
        (
            "$JS.ACK.ORDERS.worker.1.5.5.1714560000123456789.0",
            "$JS.ACK.ORDERS.worker.1.5.5.TIMESTAMP.0",
        ),
    ],
)
def test_run_specific_text_is_normalised(before, after):
    assert sanitize(before) == after


@pytest.mark.parametrize(
    "text",
    [
        "first_seq=1 last_seq=1000 messages=1000 bytes=52341",
        "num_pending=3 num_ack_pending=2 num_redelivered=1 delivered.stream_seq=42",
        "ack_wait 30s, max_deliver 5, backoff [1s, 5s, 30s]",
        "error 10065: subjects overlap with an existing stream",
        "nats-server 2.15.1",
        "orders.eu.1234 orders.us.99",
        "HBox(children=(Button(description='+1', style=ButtonStyle()), Label(value='0')))",
        "$JS.API.CONSUMER.INFO.ORDERS.worker",
        "<Figure size 640x480 with 1 Axes>",
        "max_age=3600.0",
    ],
)
def test_lesson_numbers_are_left_alone(text):
    assert sanitize(text) == text
