"""Faults: a killed server, refusals inside a pipeline, huge subjects, threads, close, auth.

Every test runs against real nats-server processes on 127.0.0.1; every loop is bounded in
count and in time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

import jslab
from jslab import errors
from jslab.lab import Lab
from jslab.server import LocalServer, ServerError, find_nats_server

LONG_SUBJECT = "orders." + "x" * 5000


def _in_thread(fn: Callable[[], Any], name: str) -> tuple[threading.Thread, dict]:
    """Start ``fn`` on a daemon thread; the dict gets "value" or "exc", and "ended" (monotonic)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:
            box["exc"] = e
        finally:
            box["ended"] = time.monotonic()

    t = threading.Thread(target=target, name=name, daemon=True)
    t.start()
    return t, box


def _wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.005) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def _stored_total(srv: LocalServer) -> int:
    try:
        return int(srv.jsz().get("messages", 0))
    except ServerError:
        return -1


def _in_msgs(lab: Lab, srv: LocalServer) -> int | None:
    """Messages the server received on the lab's connection (monitoring /connz)."""
    cid = lab.nc.client_id
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{srv.monitor_url}/connz?cid={cid}", timeout=2) as r:
        conns = json.loads(r.read()).get("connections") or []
    return conns[0]["in_msgs"] if conns else None


@pytest.fixture
def file_server(tmp_path):
    """A bundled server with a store dir that survives kill/restart, and a lab that owns it."""
    srv = LocalServer(tmp_path / "store").start()
    lab = Lab(srv.url, server=srv, timeout=2)
    try:
        yield srv, lab
    finally:
        lab.close()
        srv.close()


# ------------------------------------------------------------------------------------ (a)
def _acknowledged(err: BaseException, items: list[tuple]) -> tuple[set[str], set[int]] | None:
    """The message ids / sequences an error says were stored, or None if it does not say.

    ``stored`` may hold indexes into the input, message ids, or PubAck-like objects (``.seq``).
    """
    stored = getattr(err, "stored", None)
    if stored is None:
        return None
    ids: set[str] = set()
    seqs: set[int] = set()
    for s in stored:
        if isinstance(s, bool):
            continue
        if isinstance(s, int):
            ids.add(items[s][2]["Nats-Msg-Id"])
        elif isinstance(s, str):
            ids.add(s)
        elif hasattr(s, "seq"):
            seqs.add(int(s.seq))
        elif isinstance(s, (tuple, list)) and len(s) >= 2 and isinstance(s[0], int):
            ids.add(items[s[0]][2]["Nats-Msg-Id"])  # (index, ack)
    return ids, seqs


@pytest.mark.timeout(60)
def test_sigkill_during_publish_many_reports_what_was_stored_and_the_lab_recovers(file_server):
    srv, lab = file_server
    lab.add_stream("ORDERS", subjects=["orders.>"], storage="file", duplicate_window=120)
    items = [("orders.x", f"p{i}".encode(), {"Nats-Msg-Id": f"m{i}"}) for i in range(20_000)]

    t, box = _in_thread(lambda: lab.publish_many(items), "publish-many")
    # Kill once part of the batch is stored and the rest still in flight.
    assert _wait_until(lambda: _stored_total(srv) >= 500 or "ended" in box, 20, 0.001)
    stored_at_kill = _stored_total(srv)
    srv.kill()
    killed_at = time.monotonic()
    assert "ended" not in box or stored_at_kill < 20_000, (
        "publish_many finished before the kill; the test did not exercise the fault")

    t.join(30)
    assert not t.is_alive(), "publish_many did not return within 30 s of the server's death"
    assert box["ended"] - killed_at < 30
    assert "exc" in box, f"publish_many returned {box.get('value')!r} though the server died"
    err = box["exc"]
    assert isinstance(err, errors.JslabError), f"raw {type(err).__name__}: {err}"
    acked = _acknowledged(err, items)
    if acked is not None:
        assert "stored" in str(err).lower(), str(err)
        refused = getattr(err, "refused", None)
        assert refused is not None, "a PublishError with .stored also says what was refused"
        assert len(acked[0]) + len(acked[1]) + len(refused) <= len(items)

    lab.restart_server()
    assert lab.connected
    df = lab.messages("ORDERS")
    present_ids = {h.get("Nats-Msg-Id") for h in df["headers"] if h}
    present_seqs = set(df["seq"])
    if acked is not None:
        ids, seqs = acked
        assert ids <= present_ids, f"{len(ids - present_ids)} acknowledged ids missing"
        assert seqs <= present_seqs, f"{len(seqs - present_seqs)} acknowledged seqs missing"

    # A later publish_many must not wait for the dead batch's acknowledgements.
    t0 = time.monotonic()
    second = lab.publish_many("orders.after", [f"a{i}" for i in range(10)])
    assert time.monotonic() - t0 < 5
    assert second.count == 10 and second.stream == "ORDERS"
    assert lab.stream_info("ORDERS").state.messages == len(df) + 10

    # The error says which messages to send again; with their msg ids none is stored twice.
    assert isinstance(err, errors.PublishError)
    again = [items[i] for i in range(len(items)) if i not in err.stored]
    retry = lab.publish_many(again)
    assert lab.stream_info("ORDERS").state.messages == len(items) + 10
    print("measured: publish_many across a SIGKILL: "
          f"{len(err.stored):,} acknowledged before the kill, "
          f"{len(err.unanswered):,} unanswered, {err.not_sent:,} not sent; error after "
          f"{box['ended'] - killed_at:.1f} s; resent {len(again):,}, {retry.duplicates:,} "
          "of them answered duplicate (stored before the kill, unacknowledged)")


# ------------------------------------------------------------------------------------ (b)
@pytest.mark.timeout(60)
def test_sigkill_during_a_fetch_ack_loop_loses_nothing(file_server):
    srv, lab = file_server
    total = 2000
    lab.add_stream("WORK", subjects=["work.>"], storage="file")
    lab.publish_many("work.item", [f"w{i}" for i in range(total)])
    lab.add_consumer("WORK", "workers", ack_wait=2)

    processed: list[int] = []
    failures: list[tuple[float, BaseException]] = []
    stop = threading.Event()

    def loop() -> None:
        deadline = time.monotonic() + 45
        calls = 0
        while not stop.is_set() and time.monotonic() < deadline and calls < 5000:
            calls += 1
            if len(set(processed)) >= total:
                # A SIGKILL can lose the server's record of the last acks (they are not
                # synced to disk one by one): those messages come again after ack_wait,
                # at least once. Done when the server counts everything acked.
                info = lab.consumer_info("WORK", "workers")
                if info.ack_floor.stream_seq >= total and info.num_ack_pending == 0:
                    return
            try:
                batch = lab.fetch("WORK", "workers", 50, wait=0.5)
                batch.ack_sync()
                processed.extend(batch.seqs)
            except errors.JslabError as e:
                failures.append((time.monotonic(), e))
                time.sleep(0.1)
            except BaseException as e:  # a raw error from the kit is a failure of the test
                failures.append((time.monotonic(), e))
                return

    t, _box = _in_thread(loop, "fetch-ack-loop")
    assert _wait_until(lambda: len(processed) >= 300, 20)
    srv.kill()
    time.sleep(0.5)
    lab.restart_server()
    restarted_at = time.monotonic()
    t.join(45)
    stop.set()
    assert not t.is_alive(), "the fetch/ack loop is still running after 45 s"

    raw = [e for _, e in failures if not isinstance(e, errors.JslabError)]
    assert not raw, f"raw errors escaped: {raw!r}"
    # A call begun in the first 2 s after the restart may still end in its own 2 s timeout.
    late = [e for when, e in failures if when > restarted_at + 2 + 2.5]
    assert not late, f"fetch/ack still failing after the restart: {late[:3]!r}"
    missing = set(range(1, total + 1)) - set(processed)
    assert not missing, f"{len(missing)} messages never processed, e.g. {sorted(missing)[:10]}"
    info = lab.consumer_info("WORK", "workers")
    assert (info.ack_floor.stream_seq, info.num_ack_pending) == (total, 0)
    print(f"measured: fetch/ack loop across a SIGKILL: {total} messages, "
          f"{len(processed) - total} processed twice (redelivered after lost acks)")


# ------------------------------------------------------------------------------------ (c)
@pytest.mark.timeout(60)
def test_a_refused_publish_inside_publish_many_raises_its_jetstream_error_quickly(lab):
    lab.add_stream("LIM", subjects=["lim.>"], max_msgs=2, discard="new")
    t0 = time.monotonic()
    with pytest.raises(errors.JetStreamError) as e:
        lab.publish_many("lim.x", [1, 2, 3, 4, 5])
    elapsed = time.monotonic() - t0
    assert e.value.err_code == 10077, str(e.value)
    assert elapsed < 3, f"took {elapsed:.1f} s: the refusal was waited out as a timeout"
    assert lab.stream_info("LIM").state.messages == 2
    assert lab.publish_many("other.x", []).count == 0  # the lab still takes batches


# ------------------------------------------------------------------------------------ (d)
HUGE_SUBJECT_CALLS = {
    "publish": lambda lab: lab.publish(LONG_SUBJECT, b"x"),
    "publish_core": lambda lab: lab.publish_core(LONG_SUBJECT, b"x"),
    "request": lambda lab: lab.request(LONG_SUBJECT, b"x", timeout=0.5),
    "subscribe_core": lambda lab: lab.subscribe_core(LONG_SUBJECT),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("call", sorted(HUGE_SUBJECT_CALLS))
def test_a_5000_character_subject_is_refused_before_sending(call):
    with LocalServer() as srv:
        lab = Lab(srv.url, timeout=2)
        try:
            lab.add_stream("ORDERS", subjects=["orders.>"])
            sent = _in_msgs(lab, srv)
            t, box = _in_thread(lambda: HUGE_SUBJECT_CALLS[call](lab), call)
            t.join(10)
            assert not t.is_alive(), f"{call} with a 5000-character subject hung"
            err = box.get("exc")
            assert isinstance(err, (errors.ValidationError, errors.JslabTypeError)), (
                f"{call} raised {type(err).__name__}: {err}" if err else f"{call} returned "
                f"{box.get('value')!r}")
            assert "subject" in str(err).lower()
            assert lab.connected, "the connection was lost: the subject reached the server"
            assert _in_msgs(lab, srv) == sent, "the message was sent anyway"
            assert lab.publish("orders.ok", b"x").seq == 1
            assert lab.stream_info("ORDERS").state.messages == 1
            assert lab.connected
        finally:
            lab.close()


# ------------------------------------------------------------------------------------ (e)
@pytest.mark.timeout(60)
def test_publishers_and_fetchers_in_threads_process_each_message_exactly_once(lab):
    publishers, per_publisher, chunk = 4, 5000, 500
    total = publishers * per_publisher
    lab.add_stream("JOBS", subjects=["jobs.>"], retention="workqueue")
    lab.add_consumer("JOBS", "workers")
    deadline = time.monotonic() + 40

    seen: list[bytes] = []
    seen_lock = threading.Lock()
    failures: list[BaseException] = []

    def publish(p: int) -> None:
        for start in range(0, per_publisher, chunk):
            if time.monotonic() > deadline:
                return
            payloads = [f"p{p}-{i:05d}".encode() for i in range(start, start + chunk)]
            try:
                lab.publish_many(f"jobs.p{p}", payloads)
            except BaseException as e:
                failures.append(e)
                return

    def fetch(sync_batch: bool) -> None:
        rounds = 0
        while time.monotonic() < deadline and rounds < 10_000:
            rounds += 1
            with seen_lock:
                if len(seen) >= total:
                    return
            try:
                if sync_batch:
                    batch = lab.fetch("JOBS", "workers", 100, wait=0.5)
                    batch.ack_sync()
                else:
                    batch = lab.fetch_and_ack("JOBS", "workers", 100, wait=0.5, sync=True)
            except BaseException as e:
                failures.append(e)
                return
            with seen_lock:
                seen.extend(m.raw for m in batch)

    threads = [threading.Thread(target=publish, args=(p,), daemon=True)
               for p in range(publishers)]
    threads += [threading.Thread(target=fetch, args=(flag,), daemon=True)
                for flag in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic() + 5))
    assert not any(t.is_alive() for t in threads), "a worker thread is still running"
    assert not failures, f"errors in worker threads: {failures[:3]!r}"

    expected = {f"p{p}-{i:05d}".encode() for p in range(publishers) for i in range(per_publisher)}
    counts: dict[bytes, int] = {}
    for raw in seen:
        counts[raw] = counts.get(raw, 0) + 1
    duplicates = {k: v for k, v in counts.items() if v > 1}
    missing = expected - set(counts)
    assert not duplicates, f"{len(duplicates)} payloads processed more than once"
    assert not missing, f"{len(missing)} payloads never processed"
    assert len(seen) == total
    info = lab.consumer_info("JOBS", "workers")
    assert info.ack_floor.stream_seq == total and info.num_ack_pending == 0
    assert lab.stream_info("JOBS").state.messages == 0
    print(f"measured: {publishers} publishing + 2 fetching threads: {total:,} messages "
          f"processed exactly once in {time.monotonic() - (deadline - 40):.1f} s")


# ------------------------------------------------------------------------------------ (f)
@pytest.mark.timeout(60)
def test_close_from_another_thread_ends_a_waiting_fetch_with_closed_error(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    t, box = _in_thread(lambda: lab.fetch("ORDERS", "c", 10, wait=5), "waiting-fetch")
    time.sleep(0.3)  # the pull request is waiting on the server now
    assert t.is_alive()
    closer, _ = _in_thread(lab.close, "closer")
    closed_at = time.monotonic()
    t.join(10)  # past the fetch's own wait, to report what it finally did
    closer.join(10)
    assert not t.is_alive(), "fetch still waiting 10 s after close()"
    err = box.get("exc")
    outcome = (f"raised {type(err).__name__}: {err}" if err is not None
               else f"returned {box.get('value')!r}")
    took = box["ended"] - closed_at
    assert took < 1.0, f"fetch ended {took:.2f} s after close() and {outcome}"
    assert isinstance(err, errors.ClosedError), f"fetch {outcome}"
    assert lab.closed


# ------------------------------------------------------------------------------------ (g)
@pytest.mark.timeout(60)
def test_a_second_server_on_the_same_store_dir_is_refused_naming_the_holder(tmp_path):
    store = tmp_path / "shared"
    first = LocalServer(store).start()
    second = LocalServer(store)
    try:
        lab = Lab(first.url, timeout=2)
        lab.add_stream("KEEP", subjects=["keep.>"], storage="file")
        lab.publish("keep.a", b"x")
        with pytest.raises(ServerError) as e:
            second.start(timeout=10)
        text = str(e.value)
        assert str(first.pid) in text or first.url in text, (
            f"the error does not name the server holding {store}: {text}")
        assert first.running, "the first server was disturbed"
        assert lab.publish("keep.b", b"y").seq == 2
        assert lab.stream_info("KEEP").state.messages == 2
        lab.close()
    finally:
        second.close()
        first.close()


# ------------------------------------------------------------------------------------ (h)
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def auth_server(tmp_path):
    """A nats-server with JetStream that requires user u / password right-pass-77."""
    port = _free_port()
    conf = tmp_path / "auth.conf"
    conf.write_text(
        f'listen: "127.0.0.1:{port}"\n'
        f'jetstream {{ store_dir: {json.dumps(str(tmp_path / "js"))} }}\n'
        'authorization { user: "u", password: "right-pass-77" }\n'
    )
    log = open(tmp_path / "auth.log", "wb")
    proc = subprocess.Popen([find_nats_server(), "-c", str(conf)], stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        def listening() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return True
            except OSError:
                return False

        assert _wait_until(listening, 10, 0.02), (tmp_path / "auth.log").read_text()
        yield port
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        log.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("how", ["keyword", "url"])
def test_a_wrong_password_says_authorization_failed_without_the_password(auth_server, how):
    port = auth_server
    secret = "sekrit-wrong-913"
    t0 = time.monotonic()
    with pytest.raises(errors.JslabError) as e:
        if how == "keyword":
            jslab.connect(f"nats://127.0.0.1:{port}", user="u", password=secret, timeout=2)
        else:
            jslab.connect(f"nats://u:{secret}@127.0.0.1:{port}", timeout=2)
    assert time.monotonic() - t0 < 15
    text = f"{e.value}\n{e.value!r}"
    assert "authoriz" in text.lower(), text
    assert secret not in text, f"the password is in the error: {text}"
    # The right password works (the server is fine, only the credentials were wrong).
    ok = jslab.connect(f"nats://127.0.0.1:{port}", user="u", password="right-pass-77",
                       timeout=2)
    try:
        assert ok.connected
    finally:
        ok.close()
