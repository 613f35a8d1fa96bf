"""The one request path: domains, closing, raw API answers, authorization, publishing that
never wedges, consumers that are never changed by accident, continuous consume."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import pytest

import jslab
from jslab import errors
from jslab.lab import Lab
from jslab.server import LocalServer

pytestmark = pytest.mark.timeout(60)


def stream_state(lab: Lab, name: str) -> tuple[int, int, int]:
    s = lab.stream_info(name).state
    return s.messages, s.first_seq, s.last_seq


# ------------------------------------------------------------------ JetStream domains
def test_a_jetstream_domain_is_one_connect_argument(tmp_path):
    config = f'jetstream {{ store_dir: "{tmp_path / "js"}", domain: hub }}'
    with LocalServer(tmp_path, jetstream=False, config=config) as srv:
        other = jslab.connect(srv.url, domain="elsewhere")
        with pytest.raises(errors.JetStreamNotEnabledError, match="domain"):
            other.add_stream("ORDERS", subjects=["orders.>"])  # nobody answers that prefix
        other.close()
        lab = jslab.connect(srv.url, domain="hub")
        try:
            assert lab.session.prefix == "$JS.hub.API"
            lab.add_stream("ORDERS", subjects=["orders.>"])
            lab.publish_many("orders.new", [b"a", b"b", b"c"])
            lab.add_consumer("ORDERS", "shipping")
            assert lab.fetch("ORDERS", "shipping", 2).seqs == [1, 2]
            snap = lab.snapshot("ORDERS")
            assert (snap.messages, snap.consumer("shipping").num_ack_pending) == (3, 2)
            assert lab.messages("ORDERS")["seq"].tolist() == [1, 2, 3]
            assert lab.api("STREAM.NAMES")["streams"] == ["ORDERS"]
            assert lab.api("$JS.hub.API.STREAM.NAMES")["streams"] == ["ORDERS"]
        finally:
            lab.close()


def test_bad_domain_is_refused_before_connecting():
    with pytest.raises(errors.ValidationError, match="domain"):
        jslab.connect("nats://127.0.0.1:1", domain="a.b")


# ------------------------------------------------------------------ closing
def test_closing_wakes_a_waiting_fetch_at_once(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "idle")
    seen: dict = {}

    def wait() -> None:
        t0 = time.monotonic()
        try:
            lab.fetch("ORDERS", "idle", 1, wait=5)
        except Exception as e:  # recorded for the assertion below
            seen["error"], seen["took"] = e, time.monotonic() - t0

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.3)
    lab.close()
    t.join(5)
    assert isinstance(seen["error"], errors.ClosedError)
    assert seen["took"] < 1.5


def test_calls_on_a_closed_lab_say_so(lab):
    lab.close()
    for call in (lambda: lab.stream_names(), lambda: lab.publish("x", b""),
                 lambda: lab.fetch("A", "b"), lambda: lab.snapshot("A"), lambda: lab.api("INFO")):
        with pytest.raises(errors.ClosedError):
            call()


# ------------------------------------------------------------------ raw API answers
def test_direct_get_through_lab_api_returns_the_message(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"], allow_direct=True)
    lab.publish("orders.eu", {"id": 1}, headers={"Trace": "t1"})
    lab.publish("orders.us", {"id": 2})
    one = lab.api("DIRECT.GET.ORDERS", {"seq": 1})
    assert (one["seq"], one["subject"], one["headers"]) == (1, "orders.eu", {"Trace": "t1"})
    assert json.loads(one["data"]) == {"id": 1}
    batch = lab.api("DIRECT.GET.ORDERS", {"seq": 1, "batch": 10})
    assert [m["seq"] for m in batch["messages"]] == [1, 2]
    with pytest.raises(errors.MessageNotFoundError):
        lab.api("DIRECT.GET.ORDERS", {"seq": 99})
    assert lab.get_msg("ORDERS", subject="orders.us", direct=True).data == {"id": 2}


def test_lab_api_refuses_other_subjects_and_bad_payloads(lab):
    with pytest.raises(errors.ValidationError, match="not a JetStream API subject"):
        lab.api("$SYS.REQ.SERVER.PING")
    with pytest.raises(errors.ValidationError, match="not JSON"):
        lab.api("STREAM.NAMES", {"offset": float("nan")})
    with pytest.raises(errors.ValidationError, match="direct get needs a request dict"):
        lab.api("DIRECT.GET.ORDERS")
    assert lab.stream_names() == []


# ------------------------------------------------------------------ authorization
@pytest.fixture
def auth_server():
    with LocalServer(user="alice", password="s3cret-pw") as srv:
        yield srv


@pytest.mark.parametrize("how", ["wrong_password", "password_in_url", "no_credentials",
                                 "wrong_user"])
def test_authorization_failures_are_named_and_never_echo_the_password(auth_server, how):
    port = auth_server.url.rsplit(":", 1)[1]
    url, kw = auth_server.url, {}
    if how == "wrong_password":
        kw = {"user": "alice", "password": "not-the-pw"}
    elif how == "password_in_url":
        url = f"nats://alice:url-secret@127.0.0.1:{port}"
    elif how == "wrong_user":
        kw = {"user": "bob", "password": "s3cret-pw"}
    t0 = time.monotonic()
    with pytest.raises(errors.AuthorizationFailedError) as e:
        jslab.connect(url, **kw)
    text = str(e.value)
    assert "authorization violation" in text and "URL itself is reachable" in text
    assert "none were given" in text if how == "no_credentials" else "refused" in text
    for secret in ("not-the-pw", "url-secret", "s3cret-pw"):
        assert secret not in text
    assert time.monotonic() - t0 < 5
    lab = jslab.connect(auth_server.url, user="alice", password="s3cret-pw")
    assert lab.connected and "s3cret" not in repr(lab)
    lab.close()


# ------------------------------------------------------------------ publishing never wedges
def test_a_refused_publish_many_reports_the_server_error_quickly(lab):
    lab.add_stream("FULL", subjects=["full"], max_msgs=2, discard="new")
    t0 = time.monotonic()
    with pytest.raises(errors.MessageLimitReachedError) as e:
        lab.publish_many("full", [b"a", b"b", b"c", b"d", b"e"])
    assert time.monotonic() - t0 < 3
    err = e.value
    assert isinstance(err, errors.PublishError) and err.err_code == 10077
    assert err.stored == {0: 1, 1: 2}
    assert set(err.refused) | set(err.unanswered) | set(range(err.total - err.not_sent,
                                                               err.total)) >= {2, 3, 4}
    assert "2 of 5 messages stored" in str(err)
    assert stream_state(lab, "FULL") == (2, 1, 2)
    lab.add_stream("NEXT", subjects=["next"])
    t0 = time.monotonic()
    result = lab.publish_many("next", [b"1", b"2", b"3"])
    assert (result.first_seq, result.last_seq) == (1, 3) and time.monotonic() - t0 < 2


def test_a_too_big_message_is_refused_before_anything_is_sent(lab):
    lab.add_stream("BIG", subjects=["big"])
    with pytest.raises(errors.ValidationError, match="message 1 is 2,097,152 bytes"):
        lab.publish_many("big", [b"ok", b"x" * (2 * 1024 * 1024), b"ok"])
    assert stream_state(lab, "BIG") == (0, 0, 0)
    with pytest.raises(errors.ValidationError, match="max_payload"):
        lab.publish("big", b"x" * (2 * 1024 * 1024))
    assert lab.publish_many("big", [b"1", b"2"]).count == 2


def test_every_ack_is_there_to_check(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"], duplicate_window=60)
    result = lab.publish_many([("orders.a", b"1", {"Nats-Msg-Id": "a"}),
                               ("orders.b", b"2", {"Nats-Msg-Id": "b"}),
                               ("orders.a", b"1", {"Nats-Msg-Id": "a"})])
    assert result.acks() == [(0, 1, False), (1, 2, False), (2, 1, True)]
    assert result.duplicates == 1


def test_a_long_subject_never_reaches_the_server(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    long_subject = "orders." + "x" * 5000
    for call in (lambda: lab.publish(long_subject), lambda: lab.publish_core(long_subject),
                 lambda: lab.request(long_subject), lambda: lab.subscribe_core(long_subject),
                 lambda: lab.publish_many(long_subject, [b"1"])):
        with pytest.raises(errors.ValidationError, match="bytes long"):
            call()
    assert lab.connected
    assert lab.publish("orders.ok", b"1").seq == 1


def test_atomic_batch_is_all_or_nothing(lab):
    if not lab.supports("atomic_batch"):
        with pytest.raises(errors.ValidationError, match="needs nats-server"):
            lab.publish_batch([("a", b"1")])
        return
    lab.add_stream("ATOM", subjects=["atom.>"], allow_atomic=True)
    ack = lab.publish_batch([("atom.a", "1"), ("atom.b", "2"), ("atom.c", "3")])
    assert (ack.seq, ack.batch_size) == (3, 3)
    lab.add_stream("PLAIN", subjects=["plain.>"])
    with pytest.raises(errors.JetStreamError):
        lab.publish_batch([("plain.a", "1"), ("plain.b", "2")])
    assert stream_state(lab, "PLAIN") == (0, 0, 0)
    with pytest.raises(errors.JetStreamError, match="empty reply"):
        lab.publish("atom.a", b"x", headers={"Nats-Batch-Id": "abc", "Nats-Batch-Sequence": "1"})


# ------------------------------------------------------------------ consumers
def test_an_existing_consumer_is_never_changed_by_add_consumer(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "shipping", max_deliver=5)
    lab.add_consumer("ORDERS", "shipping", max_deliver=5)  # same config: fine
    with pytest.raises(errors.ConsumerAlreadyExistsError) as e:
        lab.add_consumer("ORDERS", "shipping", max_deliver=3)
    assert e.value.err_code == 10148
    assert lab.consumer_info("ORDERS", "shipping").config.max_deliver == 5
    assert lab.add_consumer("ORDERS", "shipping", max_deliver=3,
                            update=True).config.max_deliver == 3
    assert lab.update_consumer("ORDERS", "shipping", max_deliver=4).config.max_deliver == 4
    with pytest.raises(errors.ConsumerNotFoundError):
        lab.update_consumer("ORDERS", "nobody", max_deliver=4)


def test_acking_after_the_consumer_was_deleted_names_the_consumer(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.publish("orders.a", b"1")
    lab.add_consumer("ORDERS", "gone")
    batch = lab.fetch("ORDERS", "gone", 1)
    lab.delete_consumer("ORDERS", "gone")
    with pytest.raises(errors.ConsumerNotFoundError, match="'gone'"):
        batch[0].ack_sync()
    with pytest.raises(errors.ConsumerNotFoundError):
        batch.nak()


def test_batch_ack_refuses_before_sending_anything(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.publish_many("orders.a", [b"1", b"2", b"3"])
    lab.add_consumer("ORDERS", "c")
    batch = lab.fetch("ORDERS", "c", 3)
    batch[1].ack_sync()
    with pytest.raises(errors.ValidationError, match=r"1 of 3 messages were already answered"):
        batch.ack()
    info = lab.consumer_info("ORDERS", "c")
    assert (info.num_ack_pending, info.ack_floor.stream_seq) == (2, 0)
    assert not batch[0].acked and batch[1].acked


def test_consume_runs_a_handler_in_the_background(lab):
    lab.add_stream("TASKS", subjects=["tasks.>"])
    lab.add_consumer("TASKS", "workers", ack_wait=30)
    lab.publish_many("tasks.new", [{"n": i} for i in range(50)])
    seen: list[int] = []
    failed_once: set[int] = set()

    def handle(msg) -> None:
        n = msg.data["n"]
        if n % 10 == 0 and n not in failed_once:
            failed_once.add(n)
            raise RuntimeError(f"task {n} failed")
        seen.append(n)

    c = lab.consume("TASKS", "workers", handle, batch=10, wait=0.2, threads=2)
    assert c.wait(processed=50, timeout=20)
    c.stop()
    assert sorted(seen) == list(range(50)) and c.failed == 5 and not c.running
    assert {str(e) for _, e in c.errors} >= {"task 0 failed", "task 40 failed"}
    info = lab.consumer_info("TASKS", "workers")
    assert (info.num_ack_pending, info.ack_floor.stream_seq, info.num_redelivered) == (0, 50, 0)
    assert re.match(r"<Consumption TASKS/workers stopped: 50 processed, 5 failed>", repr(c))


def test_consume_ends_and_says_why_when_the_consumer_goes(lab):
    lab.add_stream("TASKS", subjects=["tasks.>"])
    lab.add_consumer("TASKS", "workers")
    c = lab.consume("TASKS", "workers", lambda m: None, wait=0.1)
    lab.delete_consumer("TASKS", "workers")
    deadline = time.monotonic() + 5
    while c.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not c.running and isinstance(c.error, errors.ConsumerNotFoundError)
    with pytest.raises(errors.ConsumerNotFoundError):
        lab.consume("TASKS", "nobody", lambda m: None)
    with pytest.raises(errors.JslabTypeError):
        lab.consume("TASKS", "workers", "not a function")


# ------------------------------------------------------------------ the layering holds
def test_only_the_session_touches_nats_py_internals_or_lab_privates():
    """No module but session.py reaches into nats-py's private attributes, and no module
    reaches into the Lab's private members (checked on the source text)."""
    root = Path(jslab.__file__).parent
    nats_private = re.compile(r"\.(_jsm|_server_info|_ackd|_nc|_js)\b|\bjs\._|\bnc\._")
    lab_private = re.compile(r"\blab\._[a-z]")
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text()
        if path.name != "session.py" and nats_private.search(text):
            offenders.append(f"{path.name}: {nats_private.search(text).group(0)}")
        if path.name != "lab.py" and lab_private.search(text):
            offenders.append(f"{path.name}: {lab_private.search(text).group(0)}")
    assert offenders == []


def test_a_batch_says_why_the_server_stopped_sending(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "c")
    assert lab.fetch("ORDERS", "c", 5, wait=0).status == "404 No Messages"
    empty = lab.fetch("ORDERS", "c", 5, wait=0.2)
    assert empty.status == "408 Request Timeout" and "408 Request Timeout" in repr(empty)
    lab.publish_many("orders.a", [b"1", b"2", b"3"])
    assert lab.fetch("ORDERS", "c", 2).status is None  # a full batch: the server says nothing
    rest = lab.fetch("ORDERS", "c", 5)
    assert (rest.seqs, rest.status) == ([3], "404 No Messages")


def test_publish_core_with_a_reply_subject_gathers_every_answer(lab):
    for i in range(3):
        lab.respond("ctl.ping", lambda data, i=i: f"instance {i}")
    replies = lab.subscribe_core("ctl.replies.1")
    lab.publish_core("ctl.ping", b"who is alive?", reply="ctl.replies.1")
    got = replies.fetch(10, timeout=2)
    assert sorted(m.data for m in got) == ["instance 0", "instance 1", "instance 2"]
    with pytest.raises(errors.ValidationError, match="reply subject"):
        lab.publish_core("ctl.ping", b"", reply="bad..reply")


def test_pull_limits_nats_py_lacks_are_sent_and_checked(lab):
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.publish_many("orders.a", [b"1"] * 5)
    lab.add_consumer("ORDERS", "small", max_batch=2, max_expires=1, max_bytes=1024)
    config = lab.api("CONSUMER.INFO.ORDERS.small")["config"]
    assert (config["max_batch"], config["max_expires"], config["max_bytes"]) == (
        2, 1_000_000_000, 1024)
    with pytest.raises(errors.JetStreamError, match="MaxRequestBatch") as e:
        lab.fetch("ORDERS", "small", 5)
    assert e.value.status == 409
    assert lab.fetch("ORDERS", "small", 2).seqs == [1, 2]
    with pytest.raises(errors.ValidationError, match="max_batch"):
        lab.add_consumer("ORDERS", "zero", max_batch=0)
    assert lab.consumer_names("ORDERS") == ["small"]
    lab.update_consumer("ORDERS", "small", max_deliver=4)  # the limits nats-py lacks stay
    config = lab.api("CONSUMER.INFO.ORDERS.small")["config"]
    assert (config["max_batch"], config["max_deliver"]) == (2, 4)


def test_fast_path_acks_are_recorded_when_read_and_bounded_meanwhile(lab, monkeypatch):
    from jslab import deliveries

    monkeypatch.setattr(deliveries, "LATER_KEPT", 5)
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.publish_many("orders.a", [b"x"] * 12)
    lab.add_consumer("ORDERS", "fast")
    d = lab.session.deliveries
    assert len(lab.fetch_and_ack("ORDERS", "fast", 4)) == 4
    assert d._later_count == 4  # kept as reply subjects, not recorded yet
    lab.fetch_and_ack("ORDERS", "fast", 4)
    assert d._later_count == 0  # past the bound: recorded at once
    lab.fetch_and_ack("ORDERS", "fast", 4)
    kinds = [(e.seq, e.kind) for e in d.events("ORDERS", "fast")]
    assert kinds[:2] == [(1, "delivered"), (1, "ack")] and len(kinds) == 24
    assert lab.snapshot("ORDERS").consumer("fast").acked == ((1, 12),)


def test_a_key_created_with_a_ttl_expires_on_its_own(lab):
    kv = lab.create_kv("locks", limit_marker_ttl=1)
    assert kv.create("job-1", "me", ttl=1) == 1
    with pytest.raises(errors.WrongLastSequenceError):
        kv.create("job-1", "you")  # the lock is held
    deadline = time.monotonic() + 5
    while kv.get("job-1") is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert kv.get("job-1") is None
    assert kv.create("job-1", "you") == 3  # 2 is the server's expiry marker
    with pytest.raises(errors.ValidationError, match="ttl"):
        kv.create("job-2", "x", ttl=0.5)
