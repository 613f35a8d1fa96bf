"""Checks for 50-replication-and-failover.

    >>> jslab.check.ex("50.1", lab)
    ✓ 50.1 passed: PAYMENTS has 3 replicas, led by n3, and every follower is current.
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise


def _stream(lab, name: str, what: str):
    try:
        return lab.stream_info(name)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: create it {what}.") from None


def _cluster(lab, stream: str) -> dict:
    """The stream's cluster answer (leader, replicas), or NotYet on a single server."""
    answer = lab.api(f"STREAM.INFO.{stream}")
    cluster = answer.get("cluster") or {}
    if not cluster.get("name"):
        raise NotYet("this lab runs one server: these exercises need the notebook's 3-node "
                     "cluster (its first code cell starts it, with placement tags).")
    return cluster


@exercise("50.1", "an R3 stream led by n3")
def payments(lab) -> str:
    info = _stream(lab, "PAYMENTS", "on payments.> with three replicas")
    if info.config.num_replicas != 3:
        raise NotYet(f"PAYMENTS has {info.config.num_replicas} replica(s); it should have 3, one "
                     "on each server (section 'An R3 stream'). Replicas can be changed with an "
                     "update.")
    cluster = _cluster(lab, "PAYMENTS")
    leader = cluster.get("leader")
    if leader != "n3":
        raise NotYet(f"PAYMENTS is led by {leader or 'nobody right now'}; n3 should lead it. A "
                     "leader can be asked to step down in favour of a preferred server "
                     "(section 'Who leads').")
    behind = [r["name"] for r in cluster.get("replicas") or () if not r.get("current")]
    if behind:
        raise NotYet(f"{', '.join(behind)} not current yet: wait a moment and check again.")
    return "PAYMENTS has 3 replicas, led by n3, and every follower is current."


@exercise("50.2", "an R1 stream placed by tag")
def europe(lab) -> str:
    info = _stream(lab, "EUROPE", "on eu.>, one copy, placed by tag")
    placement = info.config.placement
    tags = list(getattr(placement, "tags", None) or [])
    if tags != ["az:2"]:
        raise NotYet(f"EUROPE is placed with tags {tags or 'none'}; it should ask for the tag "
                     "az:2 (section 'Placement'). Placement is fixed at creation: delete the "
                     "stream and create it again.")
    if info.config.num_replicas != 1:
        raise NotYet(f"EUROPE has {info.config.num_replicas} replicas; this exercise wants one "
                     "copy, on the server tagged az:2.")
    leader = _cluster(lab, "EUROPE").get("leader")
    if leader != "n2":
        raise NotYet(f"EUROPE lives on {leader}, not on the server tagged az:2.")
    return "EUROPE has one copy, on n2, the only server tagged az:2."
