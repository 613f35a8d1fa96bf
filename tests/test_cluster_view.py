"""The cluster view: replicas in snapshots, text and tape; placement tags; freeze and thaw."""

from __future__ import annotations

import time

import pytest

import jslab
from jslab.errors import JslabError, NoStreamForSubjectError, ValidationError
from jslab.replicas import Replicas
from jslab.server import LocalCluster, ServerConfigError

pytestmark = pytest.mark.timeout(120)


def test_replicas_from_the_servers_answer():
    answer = {"name": "c1", "leader": "n2", "replicas": [
        {"name": "n1", "current": True, "active": 4_000_000, "peer": "x"},
        {"name": "n3", "current": False, "offline": True, "lag": 7, "active": 2_500_000_000}]}
    group = Replicas.from_info(answer)
    assert [n.status for n in group.nodes] == ["leader", "current", "offline"]
    assert group.node("n3").lag == 7 and group.node("n3").active == 2.5
    assert group.describe() == "leader n2 · n1 current · n3 offline (lag 7)"
    copies = group.with_copies({"n2": (50, 50), "n1": (40, 40)})
    assert copies.describe(50) == "leader n2 · n1 current (at seq 40 of 50) · n3 offline (lag 7)"
    assert Replicas.from_info(None) is None
    assert Replicas.from_info({"leader": "solo"}).replicated is False
    with pytest.raises(KeyError, match="n1, n3"):
        Replicas.from_info({"leader": "n1", "replicas": [{"name": "n3"}]}).node("n9")


def test_tags_are_checked_before_anything_starts():
    with pytest.raises(ServerConfigError, match="nodes are n1, n2, n3"):
        LocalCluster(3, tags={"n4": ["az:1"]})
    with pytest.raises(ServerConfigError, match="list of tags"):
        LocalCluster(3, tags={"n1": "az:1"})
    with pytest.raises(ServerConfigError, match="without spaces"):
        LocalCluster(3, tags={"n1": ["az 1"]})
    with pytest.raises(ValidationError, match="cluster=3"):
        jslab.start(tags={"n1": ["az:1"]})


@pytest.fixture(scope="module")
def lab3():
    lab = jslab.start(cluster=3, tags={"n1": ["az:1"], "n2": ["az:2"], "n3": ["az:2"]},
                      progress=False)
    yield lab
    lab.close()


def _lead(lab, stream, node, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        leader = lab.api(f"STREAM.INFO.{stream}")["cluster"].get("leader")
        if leader == node:
            return
        if leader:
            try:
                lab.api(f"STREAM.LEADER.STEPDOWN.{stream}", {"placement": {"preferred": node}})
            except JslabError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"{node} never led {stream}")


def _wait(predicate, timeout=15.0):
    """The predicate's first true value; reads that fail meanwhile (a cluster electing a
    leader answers 10008 "temporarily unavailable", or nothing) are tried again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except JslabError as e:
            value, last = None, e
        else:
            last = None
        if value:
            return value
        assert time.monotonic() < deadline, f"condition not reached in time (last error: {last})"
        time.sleep(0.1)


def test_the_lab_connects_to_n1_and_knows_its_node(lab3):
    assert lab3.server.name_of(lab3.url) == "n1"
    with pytest.raises(ValueError, match="no node"):
        lab3.server.name_of("nats://127.0.0.1:1")


def test_snapshot_summary_and_tape_show_the_replicas(lab3):
    lab3.add_stream("VIEW", subjects=["view.>"], num_replicas=3)
    lab3.add_consumer("VIEW", "c", num_replicas=3)
    lab3.publish_many("view.x", range(10))
    _lead(lab3, "VIEW", "n2")
    snap = _wait(lambda: (s := lab3.snapshot("VIEW")).cluster.nodes[1].current
                 and s.cluster.nodes[2].current and s)
    assert snap.cluster.leader == "n2" and snap.cluster.cluster == "jslab"
    assert [n.last_seq for n in snap.cluster.nodes] == [10, 10, 10]
    assert "R3 in cluster jslab · leader n2 · n1 current · n3 current" in snap.summary()
    assert "replicas      leader" in str(snap)  # the consumer's group, in the text view
    fig = snap.tape()
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert {"replica n1", "replica n2", "replica n3"} <= set(labels)
    assert "VIEW · limits · R3" in fig.axes[0].get_title(loc="left")
    from jslab.viz.dashboard import _counters_html

    assert "R3 · leader n2 · n1 current · n3 current" in _counters_html(snap)


def test_a_stopped_follower_is_offline_then_catches_up_on_the_tape(lab3):
    lab3.add_stream("CATCH", subjects=["catch.>"], num_replicas=3)
    _lead(lab3, "CATCH", "n2")
    lab3.server.stop("n3")
    lab3.publish_many("catch.x", range(3000))
    down = _wait(lambda: (s := lab3.snapshot("CATCH", window=None)).cluster.node("n3").offline
                 and s)
    assert "n3 offline" in down.summary() and down.cluster.node("n3").last_seq is None
    assert any("offline" in t.get_text() for t in down.tape().axes[0].texts)
    lab3.server.start("n3")
    snap = _wait(lambda: (s := lab3.snapshot("CATCH", window=None)).cluster.node("n3").last_seq
                 == 3000 and s.cluster.node("n3").current and s, timeout=30)
    assert snap.cluster.describe(snap.last_seq) == "leader n2 · n1 current · n3 current"


def test_placement_tags_choose_the_servers(lab3):
    lab3.add_stream("AZ2", subjects=["az2.>"], num_replicas=2, placement={"tags": ["az:2"]})
    nodes = sorted(n.name for n in lab3.snapshot("AZ2").cluster.nodes)
    assert nodes == ["n2", "n3"]
    with pytest.raises(JslabError) as e:
        lab3.add_stream("AZ1X2", subjects=["az1.>"], num_replicas=2, placement={"tags": ["az:1"]})
    assert e.value.err_code == 10005 and "AZ1X2" not in lab3.stream_names()
    assert isinstance(e.value, jslab.errors.NoSuitablePeersError)
    assert "fewer qualifying servers" in e.value.hint


def test_a_frozen_leader_is_replaced_and_a_publish_without_leader_says_why(lab3):
    lab3.add_stream("FROZEN", subjects=["frozen.>"], num_replicas=3)
    _lead(lab3, "FROZEN", "n3")
    lab3.server.freeze("n3")
    try:
        t0 = time.monotonic()
        seen_error = None
        ack = None
        while time.monotonic() - t0 < 30:
            try:
                ack = lab3.publish("frozen.x", 1, msg_id="one", timeout=0.5)
                break
            except NoStreamForSubjectError as e:
                seen_error = e
            except JslabError:
                pass
            time.sleep(0.1)
        assert ack is not None, f"no publish acknowledged in 30 s (last refusal: {seen_error})"
        # Every replica may answer a stream info; one that has not heard of the new term yet
        # still names n3: the new leader shows up in the answers within moments.
        _wait(lambda: lab3.api("STREAM.INFO.FROZEN")["cluster"]["leader"] in ("n1", "n2"))
        if seen_error is not None:
            assert "no leader right now" in str(seen_error)
        assert lab3.server.running == ["n1", "n2", "n3"]  # frozen is still running
    finally:
        lab3.server.thaw("n3")
    # Just thawed, n3 may still answer as the leader it was, with its old state, until it
    # hears of the new term: wait for the new leader's view with n3 caught up.
    snap = _wait(lambda: (s := lab3.snapshot("FROZEN")).cluster.leader != "n3"
                 and s.cluster.node("n3").current and s.messages == 1 and s)
    assert snap.last_seq == ack.seq
