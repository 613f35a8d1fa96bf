"""connect() against a server set up like a real deployment: accounts, a JetStream domain, TLS."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess

import pytest

import jslab
from jslab.errors import JslabError, StreamNotFoundError
from jslab.server import LocalServer

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    d = tmp_path_factory.mktemp("deploy")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=30)
    q = json.dumps
    config = f"""
jetstream {{ store_dir: {q(str(d / "js"))}, domain: hub }}
tls {{ cert_file: {q(str(cert))}, key_file: {q(str(key))} }}
accounts {{
  TEAM_A: {{ jetstream: {{ max_mem: 64MB, max_file: 64MB, max_streams: 5 }},
             users: [{{ user: alice, password: "alice-pw" }}] }}
  TEAM_B: {{ jetstream: enabled, users: [{{ user: bob, password: "bob-pw" }}] }}
}}
"""
    srv = LocalServer(jetstream=False, config=config).start()
    ctx = ssl.create_default_context(cafile=str(cert))
    yield srv, ctx
    srv.close()


def test_accounts_domain_and_tls(deployment):
    srv, ctx = deployment
    url = srv.url.replace("nats://", "tls://")
    alice = jslab.connect(url, user="alice", password="alice-pw", domain="hub", tls=ctx)
    bob = jslab.connect(url, user="bob", password="bob-pw", domain="hub", tls=ctx)
    try:
        assert alice.session.prefix == "$JS.hub.API"
        alice.add_stream("ORDERS", subjects=["orders.>"])
        assert alice.publish("orders.new", {"id": 1}).seq == 1
        assert alice.snapshot("ORDERS").messages == 1
        limits = alice.account_info().limits
        assert (limits.max_streams, limits.max_memory) == (5, 64 * 1024 * 1024)
        # Another account sees nothing of alice's: same name, another stream.
        with pytest.raises(StreamNotFoundError):
            bob.stream_info("ORDERS")
        bob.add_stream("ORDERS", subjects=["orders.>"])
        assert bob.stream_info("ORDERS").state.messages == 0
        for i in range(2, 6):
            alice.add_stream(f"S{i}", subjects=[f"s{i}"])
        with pytest.raises(JslabError) as e:  # the account's limit, from the server
            alice.add_stream("S6", subjects=["s6"])
        assert e.value.err_code == 10027
        assert isinstance(e.value, jslab.errors.MaxStreamsReachedError)
        assert "max_streams" in e.value.hint
    finally:
        alice.close()
        bob.close()


def test_a_wrong_password_over_tls_names_the_cause(deployment):
    srv, ctx = deployment
    url = srv.url.replace("nats://", "tls://")
    with pytest.raises(JslabError, match=r"(?i)authoriz"):
        jslab.connect(url, user="alice", password="wrong", tls=ctx, timeout=2)
