"""Shared fixtures: every test talks to a real bundled nats-server."""

from __future__ import annotations

import pytest

from jslab.lab import Lab
from jslab.server import LocalServer


@pytest.fixture(scope="module")
def nats_server():
    """A fresh bundled nats-server for one test module."""
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def lab():
    """A lab on its own fresh server (~20 ms to start): no state leaks between tests."""
    with LocalServer() as srv:
        lab = Lab(srv.url)
        yield lab
        lab.close()


def pytest_terminal_summary(terminalreporter):
    """Lines a test printed as "measured: ..." (counts, timings) at the end of the run."""
    lines = []
    for report in terminalreporter.stats.get("passed", []):
        for line in (getattr(report, "capstdout", "") or "").splitlines():
            if line.startswith("measured: "):
                lines.append(line[len("measured: "):])
    if lines:
        terminalreporter.section("measured")
        for line in sorted(lines):
            terminalreporter.line(line)
