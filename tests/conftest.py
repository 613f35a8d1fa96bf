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
def lab(nats_server):
    """A lab on the module's server; every stream it leaves behind is deleted afterwards."""
    lab = Lab(nats_server.url)
    yield lab
    for name in lab.stream_names():
        lab.delete_stream(name)
    lab.close()
