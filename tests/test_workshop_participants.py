"""Thirty participants at once on one workshop server, each with a connection of its own.

The server runs the configuration `jslab workshop init --participants 30` wrote. Every
participant runs the same small exercise (the same stream name for everyone), then tries to
read, fetch from, publish into, purge and delete another participant's stream: the accounts
isolate, so for them that stream does not exist. At the end nothing anyone published is lost,
as each participant and the facilitator (through the system account) see it.
Loopback only; every loop is bounded.
"""

from __future__ import annotations

import threading
import time

import pytest
from _net import free_ports

import jslab
from jslab.cli import main
from jslab.errors import JslabError, NoStreamForSubjectError, StreamNotFoundError
from jslab.workshop import ConfiguredServer, ProgressBoard, load_workshop

N = 30
MESSAGES = 100  # per participant
pytestmark = pytest.mark.timeout(240)



def own_stream(name: str) -> str:
    return f"NOTES_{name.upper()}"


def test_thirty_participants_each_see_only_their_own_streams(tmp_path):
    port, monitor = free_ports(2)
    out = tmp_path / "workshop"
    # 32M of disk per account: the server reserves every account's limits up front, and the
    # test must fit machines with little free disk; the default limits are checked elsewhere.
    assert main(["workshop", "init", "--participants", str(N), "--out", str(out),
                 "--host", "127.0.0.1", "--port", str(port), "--monitor-port", str(monitor),
                 "--max-mem", "8M", "--max-file", "32M"]) == 0
    ws = load_workshop(out)
    assert len(ws.participants) == N

    with ConfiguredServer(ws.config_path) as srv:
        labs = {p.name: jslab.connect(srv.url, **ws.credentials(p.name))
                for p in ws.participants}
        try:
            results: dict[str, dict] = {}
            errors: dict[str, BaseException] = {}
            start = threading.Barrier(N + 1)
            seated = threading.Barrier(N)

            def exercise(name: str) -> None:
                lab = labs[name]
                try:
                    start.wait(timeout=60)
                    # the same exercise, the same names, for everyone
                    lab.add_stream("ORDERS", subjects=["orders.>"])
                    sent = [f"{name}-{i}" for i in range(MESSAGES)]
                    acks = lab.publish_many("orders.new", sent)
                    lab.add_consumer("ORDERS", "shipping")
                    got: list[str] = []
                    for _ in range(MESSAGES):  # bounded: at most one round per message
                        batch = lab.fetch("ORDERS", "shipping", 16, wait=2)
                        batch.ack_sync()
                        got += [m.data for m in batch]
                        if len(got) >= MESSAGES:
                            break
                    lab.add_stream(own_stream(name), subjects=[f"notes.{name}"])
                    lab.publish(f"notes.{name}", f"only {name} may read this")
                    seated.wait(timeout=60)  # every participant's stream exists now

                    refused = 0
                    for other in ws.participants:
                        if other.name == name:
                            continue
                        with pytest.raises(StreamNotFoundError):
                            lab.stream_info(own_stream(other.name))
                        refused += 1
                    neighbour = ws.participants[
                        (next(i for i, p in enumerate(ws.participants) if p.name == name) + 1) % N
                    ].name
                    theirs = own_stream(neighbour)
                    attempts = {
                        "read": lambda: lab.get_msg(theirs, 1),
                        "fetch": lambda: lab.fetch(theirs, "spy", 1, wait=0.2),
                        "purge": lambda: lab.purge_stream(theirs),
                        "delete": lambda: lab.delete_stream(theirs),
                        "publish": lambda: lab.publish(f"notes.{neighbour}", "sneaky"),
                    }
                    outcomes = {}
                    for what, attempt in attempts.items():
                        try:
                            attempt()
                            outcomes[what] = "allowed"
                        except (StreamNotFoundError, NoStreamForSubjectError) as e:
                            outcomes[what] = type(e).__name__
                    results[name] = {
                        "acks": [seq for _i, seq, _dup in acks.acks()],
                        "got": got,
                        "sent": sent,
                        "streams": sorted(lab.stream_names()),
                        "ack_floor": lab.consumer_info("ORDERS", "shipping").ack_floor.stream_seq,
                        "refused": refused,
                        "outcomes": outcomes,
                    }
                except BaseException as e:  # reported below, with the participant's name
                    errors[name] = e
                    start.abort()
                    seated.abort()

            threads = [threading.Thread(target=exercise, args=(p.name,), name=p.name)
                       for p in ws.participants]
            for t in threads:
                t.start()
            start.wait(timeout=60)
            t0 = time.perf_counter()
            for t in threads:
                t.join(timeout=120)
            elapsed = time.perf_counter() - t0
            assert not any(t.is_alive() for t in threads), "a participant is stuck"
            assert not errors, {k: f"{type(v).__name__}: {v}" for k, v in errors.items()}
            assert len(results) == N

            for p in ws.participants:
                r = results[p.name]
                assert r["streams"] == sorted(["ORDERS", own_stream(p.name)])
                assert r["acks"] == list(range(1, MESSAGES + 1))
                assert r["got"] == r["sent"], f"{p.name} fetched someone else's or lost some"
                assert r["ack_floor"] == MESSAGES
                assert r["refused"] == N - 1
                assert r["outcomes"] == {"read": "StreamNotFoundError",
                                         "fetch": "StreamNotFoundError",
                                         "purge": "StreamNotFoundError",
                                         "delete": "StreamNotFoundError",
                                         "publish": "NoStreamForSubjectError"}, p.name

            # Nothing was lost or touched, as each participant sees it ...
            for p in ws.participants:
                lab = labs[p.name]
                assert lab.stream_info("ORDERS").state.messages == MESSAGES
                notes = lab.stream_info(own_stream(p.name)).state
                assert (notes.messages, notes.last_seq) == (1, 1)
                assert lab.get_msg(own_stream(p.name), 1).data == f"only {p.name} may read this"
            # ... and as the facilitator sees it through the system account.
            with ProgressBoard(ws, srv.url, checks=False) as board:
                table = board.read()
            assert [r.participant for r in table.rows] == [p.name for p in ws.participants]
            for row in table.rows:
                assert row.streams == tuple(sorted(["ORDERS", own_stream(row.participant)]))
                assert (row.messages, row.consumers, row.online) == (MESSAGES + 1, 1, 1)
            total = sum(row.messages for row in table.rows)
            assert total == N * (MESSAGES + 1)
        finally:
            for lab in labs.values():
                try:
                    lab.close()
                except JslabError:
                    pass

    attempts = N * (N - 1) + N * 5
    print(f"measured: {N} participants on one workshop server, each its own account and "
          f"connection: stream, {MESSAGES} publishes, fetch+ack, {N - 1} foreign streams "
          f"looked up, 5 foreign operations refused, in {elapsed:.2f} s ({N * MESSAGES} "
          f"messages, 0 lost; {attempts} cross-account attempts, all refused)")
