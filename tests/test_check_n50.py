"""Checks of 50-replication-and-failover: each fails until its exercise is done, also half done."""

from __future__ import annotations

import time

import pytest

import jslab
from jslab import check


@pytest.fixture(scope="module")
def cluster_lab():
    lab = jslab.start(cluster=3, tags={"n1": ["az:1"], "n2": ["az:2"], "n3": ["az:3"]},
                      progress=False)
    yield lab
    lab.close()


def _hint(exercise, lab):
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def _lead(lab, stream, node):
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        leader = lab.api(f"STREAM.INFO.{stream}")["cluster"].get("leader")
        if leader == node:
            return
        if leader:
            try:
                lab.api(f"STREAM.LEADER.STEPDOWN.{stream}", {"placement": {"preferred": node}})
            except jslab.errors.JetStreamError:
                pass  # a replica added a moment ago is not known yet: ask again
        time.sleep(0.2)
    raise AssertionError(f"{node} never led {stream}")


def test_payments_needs_three_replicas_led_by_n3(cluster_lab):
    lab = cluster_lab
    assert "no stream PAYMENTS" in _hint("50.1", lab)
    lab.add_stream("PAYMENTS", subjects=["payments.>"])
    assert "1 replica(s)" in _hint("50.1", lab)
    lab.update_stream("PAYMENTS", num_replicas=3)
    _lead(lab, "PAYMENTS", "n1")
    assert "led by n1" in _hint("50.1", lab)
    _lead(lab, "PAYMENTS", "n3")
    deadline = time.monotonic() + 10
    while not (result := check.ex("50.1", lab)).passed and time.monotonic() < deadline:
        time.sleep(0.2)
    assert result.passed, result.message


def test_europe_needs_one_copy_tagged_az2(cluster_lab):
    lab = cluster_lab
    assert "no stream EUROPE" in _hint("50.2", lab)
    lab.add_stream("EUROPE", subjects=["eu.>"], placement={"tags": ["az:1"]})
    assert "az:2" in _hint("50.2", lab)
    lab.delete_stream("EUROPE")
    lab.add_stream("EUROPE", subjects=["eu.>"], placement={"tags": ["az:2"]})
    assert check.ex("50.2", lab).passed


def test_checks_say_a_cluster_is_needed(lab):
    lab.add_stream("EUROPE", subjects=["eu.>"], placement={"tags": ["az:2"]})
    assert "3-node" in _hint("50.2", lab)
