"""Shared fixtures: every test talks to a real bundled nats-server."""

from __future__ import annotations

import pytest

from jslab.server import LocalServer


@pytest.fixture(scope="module")
def nats_server():
    """A fresh bundled nats-server for one test module."""
    with LocalServer() as srv:
        yield srv
