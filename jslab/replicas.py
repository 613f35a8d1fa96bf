"""Where a replicated stream or consumer lives: its leader and each replica, from the server.

A stream info answer (and a consumer info answer) carries ``cluster``: the RAFT group's leader
and, for each other replica, whether it is ``current``, whether the leader sees it ``offline``,
how long ago it was ``active`` and its ``lag`` — how many RAFT log entries it has not applied
yet (one entry may hold many messages, so lag is not a message count). On a `LocalCluster` the
kit also asks every running node how far its own copy of the stream reaches (``last_seq``):
that is the number the tape draws.

    >>> snap = lab.snapshot("ORDERS")
    >>> snap.cluster
    Replicas(leader='n2', n1 current, n3 offline (lag 3))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = ["Replica", "Replicas"]


@dataclass(frozen=True)
class Replica:
    """One copy of a stream (or consumer) on one server."""

    name: str  # the server's name
    leader: bool = False
    current: bool = True  # the leader says it is up to date
    offline: bool = False  # the leader cannot reach it
    lag: int = 0  # RAFT entries not applied yet (0 when current)
    active: float | None = None  # seconds since the leader last heard from it
    # How far this server's own copy reaches (LocalCluster only; None: not asked, or down).
    last_seq: int | None = None
    messages: int | None = None

    @property
    def status(self) -> str:
        """"leader", "current", "offline" or "lagging" (the leader's word for it)."""
        if self.leader:
            return "leader"
        if self.offline:
            return "offline"
        return "current" if self.current else "lagging"

    def describe(self, last_seq: int | None = None) -> str:
        """``n1 lagging (lag 2, at seq 40 of 50)``: the status and the numbers that prove it."""
        facts = []
        if self.lag and not self.leader:
            facts.append(f"lag {self.lag}")
        if self.last_seq is not None and last_seq is not None and self.last_seq < last_seq:
            facts.append(f"at seq {self.last_seq} of {last_seq}")
        return f"{self.name} {self.status}" + (f" ({', '.join(facts)})" if facts else "")


@dataclass(frozen=True)
class Replicas:
    """A RAFT group as the server describes it: the leader first, then the other replicas."""

    leader: str | None
    nodes: tuple[Replica, ...]
    cluster: str | None = None  # the cluster's name

    @classmethod
    def from_info(cls, cluster: Mapping[str, Any] | None) -> Replicas | None:
        """From the ``cluster`` object of a stream or consumer info answer (None without one).

        A stream on a server outside any cluster (or an R1 one) has a leader and no replicas.
        """
        if not cluster:
            return None
        leader = cluster.get("leader") or None
        nodes = [Replica(leader, leader=True)] if leader else []
        for r in cluster.get("replicas") or ():
            nodes.append(Replica(
                name=r.get("name", "?"),
                current=bool(r.get("current", False)),
                offline=bool(r.get("offline", False)),
                lag=int(r.get("lag") or 0),
                active=(r["active"] / 1e9) if r.get("active") is not None else None,
            ))
        return cls(leader, tuple(nodes), cluster.get("name"))

    @property
    def replicated(self) -> bool:
        """True when there is more than one copy."""
        return len(self.nodes) > 1

    def node(self, name: str) -> Replica:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"{name!r} holds no replica; replicas are "
                       f"{', '.join(n.name for n in self.nodes)}")

    def with_copies(self, copies: Mapping[str, tuple[int, int]]) -> Replicas:
        """The same group with each node's own (last_seq, messages), where known."""
        nodes = tuple(replace(n, last_seq=copies[n.name][0], messages=copies[n.name][1])
                      if n.name in copies else n for n in self.nodes)
        return replace(self, nodes=nodes)

    def describe(self, last_seq: int | None = None) -> str:
        """One line: ``leader n2 · n1 current · n3 offline (lag 3)``."""
        if not self.nodes:
            return "no leader"
        parts = [f"leader {self.leader}"] if self.leader else ["no leader"]
        parts += [n.describe(last_seq) for n in self.nodes if not n.leader]
        return " · ".join(parts)

    def __repr__(self) -> str:
        rest = ", ".join(n.describe() for n in self.nodes if not n.leader)
        return f"Replicas(leader={self.leader!r}{', ' + rest if rest else ''})"


def with_local_copies(server: Any, snap: Any) -> Any:
    """``snap`` with each node's own last seq added, when ``server`` is a LocalCluster."""
    copies = getattr(server, "stream_copies", None)
    if snap.cluster is None or not snap.cluster.replicated or copies is None:
        return snap  # one copy: nothing to compare, no node to ask
    return replace(snap, cluster=snap.cluster.with_copies(copies(snap.name)))
