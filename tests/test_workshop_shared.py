"""`jslab.start()` with NATS_URL set: a participant's notebook on the shared workshop server.

It connects instead of starting a server, empties the participant's own account (and no one
else's), prints one line without the password, has no `lab.server`, and refuses what needs a
server of one's own by naming the shared server. Without NATS_URL nothing changes.
Real servers on loopback only.
"""

from __future__ import annotations

import pytest
from _net import free_ports

import jslab
from jslab.cli import main
from jslab.errors import AuthorizationFailedError
from jslab.server import LocalServer
from jslab.shared import SharedServerError, shared_settings
from jslab.workshop import ConfiguredServer, load_workshop

pytestmark = pytest.mark.timeout(120)
ENV = ("NATS_URL", "NATS_USER", "NATS_PASSWORD", "NATS_TOKEN", "NATS_CREDS")



@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    out = tmp_path_factory.mktemp("shared") / "workshop"
    port, monitor = free_ports(2)
    assert main(["workshop", "init", "--participants", "2", "--out", str(out), "--host",
                 "127.0.0.1", "--port", str(port), "--monitor-port", str(monitor)]) == 0
    ws = load_workshop(out)
    with ConfiguredServer(ws.config_path) as srv:
        yield ws, srv


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in ENV:
        monkeypatch.delenv(var, raising=False)


def as_participant(monkeypatch, ws, srv, name: str) -> None:
    monkeypatch.setenv("NATS_URL", srv.url)
    monkeypatch.setenv("NATS_USER", name)
    monkeypatch.setenv("NATS_PASSWORD", ws.participant(name).password)


def test_start_connects_and_resets_only_the_own_account(workshop, monkeypatch, capsys):
    ws, srv = workshop
    mine = jslab.connect(srv.url, **ws.credentials("p01"))
    theirs = jslab.connect(srv.url, **ws.credentials("p02"))
    try:
        for name in ("ORDERS", "LOGS"):
            mine.add_stream(name)
            theirs.add_stream(name)
        mine.create_kv("settings")  # a KV bucket is a stream too (KV_settings)
        capsys.readouterr()
        as_participant(monkeypatch, ws, srv, "p01")

        lab = jslab.start()
        try:
            out = capsys.readouterr().out
            assert out == (f"connected to the shared server at {srv.url} as p01, account "
                           "reset: 3 streams deleted\n")
            assert ws.participant("p01").password not in out
            assert lab.server is None and lab.stream_names() == []
            assert repr(lab) == f"<Lab connected to the shared server {srv.url} as p01>"
            assert sorted(theirs.stream_names()) == ["LOGS", "ORDERS"]
            lab.add_stream("ORDERS")  # the same name as p02's: another account
            lab.publish("ORDERS", "mine")
            assert theirs.stream_info("ORDERS").state.messages == 0

            again = jslab.start()  # the next notebook: fresh again, the previous lab closed
            assert lab.closed and again.stream_names() == []
            assert capsys.readouterr().out.endswith("account reset: 1 stream deleted\n")
            again.close()
        finally:
            lab.close()
    finally:
        mine.close()
        theirs.close()


def test_what_needs_an_own_server_names_the_shared_server(workshop, monkeypatch, capsys):
    ws, srv = workshop
    as_participant(monkeypatch, ws, srv, "p02")
    lab = jslab.start(progress=False)
    try:
        assert capsys.readouterr().out == ""
        with pytest.raises(SharedServerError) as e:
            lab.restart_server()
        assert f"the shared server at {srv.url} (NATS_URL)" in str(e.value)
        assert "lab.restart_server() needs a nats-server of your own" in str(e.value)
        for kwargs in ({"cluster": 3}, {"store_dir": "data"}):
            with pytest.raises(SharedServerError, match="needs a nats-server of your own"):
                jslab.start(**kwargs)
        assert not lab.closed, "a refused start must not close the running lab"
        assert lab.stream_names() == []
    finally:
        lab.close()


def test_a_wrong_or_missing_password_is_said_without_it(workshop, monkeypatch):
    _ws, srv = workshop
    monkeypatch.setenv("NATS_URL", srv.url)
    monkeypatch.setenv("NATS_USER", "p01")
    with pytest.raises(SharedServerError, match="NATS_PASSWORD is not set"):
        jslab.start()
    monkeypatch.setenv("NATS_PASSWORD", "not-the-password")
    with pytest.raises(AuthorizationFailedError) as e:
        jslab.start()
    assert "NATS_URL points jslab.start() at the shared server" in str(e.value)
    assert "not-the-password" not in str(e.value)


def test_a_server_not_named_jslab_is_never_emptied(monkeypatch):
    with LocalServer(name="production") as srv:
        lab = jslab.connect(srv.url)
        lab.add_stream("PAYMENTS")
        lab.close()
        monkeypatch.setenv("NATS_URL", srv.url)
        with pytest.raises(SharedServerError, match="named 'production'"):
            jslab.start()
        lab = jslab.connect(srv.url)
        assert lab.stream_names() == ["PAYMENTS"]
        lab.close()


def test_a_single_account_server_named_jslab_dash_is_shared_too(monkeypatch, capsys):
    # the docker-compose `nats` service: no accounts, no users, named jslab-docker
    with LocalServer(name="jslab-docker") as srv:
        setup = jslab.connect(srv.url)
        setup.add_stream("OLD")
        setup.close()
        monkeypatch.setenv("NATS_URL", srv.url)
        lab = jslab.start()
        try:
            assert capsys.readouterr().out == (f"connected to the shared server at {srv.url}, "
                                               "account reset: 1 stream deleted\n")
            assert lab.server is None
        finally:
            lab.close()


def test_without_nats_url_start_is_the_bundled_server(monkeypatch, capsys):
    assert shared_settings({}) is None and shared_settings({"NATS_URL": "  "}) is None
    monkeypatch.setenv("NATS_URL", "")
    lab = jslab.start()
    try:
        assert lab.server is not None and lab.server.running
        assert "shared" not in capsys.readouterr().out
    finally:
        lab.close()
