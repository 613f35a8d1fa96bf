"""Priority groups (nats-server 2.11+) through the kit: config, overflow, pinned client."""

from __future__ import annotations

import pytest

from jslab import Lab
from jslab.errors import JetStreamError, ValidationError


def _stream(lab, n=6):
    lab.add_stream("JOBS", subjects=["jobs.>"])
    lab.publish_many("jobs.new", range(n))


def test_overflow_serves_a_pull_only_when_the_backlog_is_long_enough(lab):
    _stream(lab)
    info = lab.add_consumer("JOBS", "workers", priority_groups=["jobs"],
                            priority_policy="overflow")
    raw = lab.api("CONSUMER.INFO.JOBS.workers")["config"]
    assert (raw["priority_groups"], raw["priority_policy"]) == (["jobs"], "overflow")
    assert info.name == "workers"
    with pytest.raises(JetStreamError) as e:  # the server: a pull must name the group
        lab.fetch("JOBS", "workers", 1, wait=0.2)
    assert e.value.status == 400
    waiting = lab.fetch("JOBS", "workers", 2, wait=0.3, group="jobs", min_pending=10)
    assert len(waiting) == 0 and waiting.status.startswith("408")
    served = lab.fetch("JOBS", "workers", 2, wait=0.3, group="jobs", min_pending=3)
    assert [m.seq for m in served] == [1, 2]
    # the update path keeps the group settings
    lab.update_consumer("JOBS", "workers", ack_wait=10)
    assert lab.api("CONSUMER.INFO.JOBS.workers")["config"]["priority_policy"] == "overflow"


def test_a_pinned_client_keeps_the_group_until_it_goes_quiet(lab):
    _stream(lab)
    lab.add_consumer("JOBS", "pinned", priority_groups=["jobs"],
                     priority_policy="pinned_client", priority_timeout=5)
    first = lab.fetch("JOBS", "pinned", 2, wait=0.3, group="jobs")
    assert [m.seq for m in first] == [1, 2]
    assert first[0].headers.get("Nats-Pin-Id")
    other = Lab(lab.url)  # another client of the same consumer
    try:
        refused = other.fetch("JOBS", "pinned", 2, wait=0.3, group="jobs")
        assert len(refused) == 0
    finally:
        other.close()
    again = lab.fetch("JOBS", "pinned", 2, wait=0.3, group="jobs")  # the lab sends its pin
    assert [m.seq for m in again] == [3, 4]


def test_priority_arguments_are_checked_before_anything_is_sent(lab):
    _stream(lab, 1)
    with pytest.raises(ValidationError, match="group="):
        lab.fetch("JOBS", "x", 1, min_pending=3)
    with pytest.raises(ValidationError, match="priority group name"):
        lab.fetch("JOBS", "x", 1, group="not a name")
    with pytest.raises(ValidationError, match="go together"):
        lab.add_consumer("JOBS", "c", priority_groups=["jobs"])
    with pytest.raises(ValidationError, match="one group"):
        lab.add_consumer("JOBS", "c", priority_groups=["a", "b"], priority_policy="overflow")
    with pytest.raises(ValidationError, match="choose one of"):
        lab.add_consumer("JOBS", "c", priority_groups=["a"], priority_policy="fastest")
    if not lab.supports("prioritized_policy"):
        with pytest.raises(ValidationError, match=r"2\.12"):
            lab.add_consumer("JOBS", "c", priority_groups=["a"], priority_policy="prioritized")
        with pytest.raises(ValidationError, match=r"2\.12"):
            lab.fetch("JOBS", "x", 1, group="a", priority=1)
    assert lab.consumer_names("JOBS") == []


def test_prioritized_serves_the_lowest_priority_first(lab):
    if not lab.supports("prioritized_policy"):
        pytest.skip("the prioritized policy needs nats-server 2.12+")
    _stream(lab)
    lab.add_consumer("JOBS", "ranked", priority_groups=["jobs"], priority_policy="prioritized")
    got = lab.fetch("JOBS", "ranked", 2, wait=0.3, group="jobs", priority=0)
    assert [m.seq for m in got] == [1, 2]
