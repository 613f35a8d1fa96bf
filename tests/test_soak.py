"""Soak: publish and consume on an R3 stream while its leader is killed and restarted 3 times.

The publisher sends every message with a msg id and retries it (same id) until acknowledged;
the consumer is idempotent: it records each processed order in sqlite inside one transaction
with the order's id as primary key, and acks after the commit. Nothing acknowledged may be
lost, nothing may be stored twice, nothing may be processed twice.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

import jslab
from jslab.errors import JslabError

pytestmark = pytest.mark.timeout(150)

TOTAL = 3000
KILLS = 3
BUDGET_S = 110.0  # every loop below stops by then


def _leader(lab, stream):
    try:
        return lab.api(f"STREAM.INFO.{stream}", timeout=0.5)["cluster"].get("leader")
    except JslabError:
        return None  # no answer while the stream has no leader


def test_leader_killed_three_times_loses_nothing_and_processes_nothing_twice(tmp_path):
    t_start = time.monotonic()
    deadline = t_start + BUDGET_S
    lab = jslab.start(cluster=3, progress=False)
    try:
        lab.add_stream("SOAK", subjects=["soak.>"], num_replicas=3, duplicate_window=120)
        lab.add_consumer("SOAK", "worker", num_replicas=3, ack_wait=2)
        db = sqlite3.connect(tmp_path / "processed.db", check_same_thread=False)
        db.execute("CREATE TABLE processed (id TEXT PRIMARY KEY, at REAL)")
        acked: set[str] = set()
        state = {"publish_retries": 0, "deliveries": 0, "redelivered_skipped": 0,
                 "fetch_errors": 0}
        done_publishing = threading.Event()

        def publisher():
            for i in range(TOTAL):
                mid = f"order-{i}"
                while time.monotonic() < deadline:
                    try:
                        lab.publish("soak.order", {"n": i}, msg_id=mid, timeout=0.5)
                        acked.add(mid)
                        break
                    except JslabError:
                        state["publish_retries"] += 1
                        time.sleep(0.05)
            done_publishing.set()

        def consumer():
            while time.monotonic() < deadline:
                if done_publishing.is_set():
                    (count,) = db.execute("SELECT count(*) FROM processed").fetchone()
                    if count >= len(acked):
                        return
                try:
                    batch = lab.fetch("SOAK", "worker", 100, wait=0.5)
                except JslabError:
                    state["fetch_errors"] += 1
                    time.sleep(0.1)
                    continue
                for msg in batch:
                    state["deliveries"] += 1
                    mid = msg.headers.get("Nats-Msg-Id")
                    with db:  # one transaction: the side effect, recorded once per id
                        fresh = db.execute("INSERT OR IGNORE INTO processed VALUES (?, ?)",
                                           (mid, time.time())).rowcount
                    if not fresh:
                        state["redelivered_skipped"] += 1
                    try:
                        msg.ack()
                    except JslabError:
                        pass  # lost with the leader: redelivered later, and skipped then

        threads = [threading.Thread(target=publisher), threading.Thread(target=consumer)]
        for t in threads:
            t.start()
        elections = []
        for _ in range(KILLS):
            time.sleep(1.0)
            leader = None
            while leader is None and time.monotonic() < deadline:
                leader = _leader(lab, "SOAK")
            lab.server.kill(leader)
            killed = time.monotonic()
            while time.monotonic() < deadline and _leader(lab, "SOAK") in (None, leader):
                time.sleep(0.05)
            elections.append(time.monotonic() - killed)
            lab.server.start(leader)
        for t in threads:
            t.join(max(1.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in threads), "the soak did not finish in its budget"

        info = lab.stream_info("SOAK")
        ids = [row[0] for row in db.execute("SELECT id FROM processed")]
        lost = {f"order-{i}" for i in range(TOTAL)} - acked
        assert not lost, f"{len(lost)} messages never acknowledged"
        assert info.state.messages == TOTAL, "a retried publish was stored twice (or lost)"
        assert len(ids) == len(set(ids)) == TOTAL, "an order was processed twice (or never)"
        print(f"measured: soak on R3 with the stream leader SIGKILLed and restarted {KILLS} "
              f"times: {TOTAL:,} published, {len(acked):,} acknowledged, "
              f"{info.state.messages:,} stored, {len(ids):,} processed once; "
              f"{state['publish_retries']} publish retries, {state['deliveries']:,} deliveries "
              f"({state['redelivered_skipped']} redeliveries skipped by the idempotent consumer),"
              f" elections {', '.join(f'{e:.1f}' for e in elections)} s, "
              f"{time.monotonic() - t_start:.0f} s in all")
    finally:
        lab.close()
