"""`jslab server`: argument checks, credentials for a server reachable from the network, the
URLs it prints, and --cluster honouring --host/--port. Real servers; traffic to loopback only."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import time

import nats
import pytest

from jslab.cli import main

JSLAB = [sys.executable, "-m", "jslab"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cluster", "0"], "node count of 2 or more (3 is usual), not 0"),
        (["--cluster", "-2"], "node count of 2 or more (3 is usual), not -2"),
        (["--cluster", "1"], "1 node is not a cluster"),
        (["--cluster", "three"], "node count like 3, not 'three'"),
        (["--cluster", "2.5"], "node count like 3, not '2.5'"),
        (["--port", "http"], "port number from 1 to 65535, not 'http'"),
        (["--port", "70000"], "port number from 1 to 65535, not '70000'"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(capsys, argv, message):
    t0 = time.monotonic()
    with pytest.raises(SystemExit) as e:
        main(["server", *argv])
    assert e.value.code == 2 and time.monotonic() - t0 < 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("jslab server: error: argument ")
    assert message in err and "Traceback" not in err


def test_bad_value_from_the_shell_has_no_traceback():
    out = subprocess.run([*JSLAB, "server", "--cluster", "x"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "jslab server: error: argument --cluster: takes a node count like 3, not 'x' "
        "(see 'jslab server --help')"
    ]


def test_an_empty_password_is_refused_in_one_line(capsys):
    assert main(["server", "--user", "alice", "--password", ""]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "password= must be a non-empty str" in err


class Foreground:
    """`jslab server ...` in a subprocess: its output up to "Ctrl-C stops", then Ctrl-C."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen([*JSLAB, "server", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        lines = []
        deadline = time.monotonic() + 30
        for _ in range(200):
            line = self.proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C stops" in line or not line or time.monotonic() > deadline:
                break
        self.text = "".join(lines)

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        rest, _ = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0 and "stopped." in rest
        return rest

    def __enter__(self) -> Foreground:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc.stdout.close()


async def _streams(url: str, **auth: str) -> int:
    nc = await nats.connect(url, allow_reconnect=False, connect_timeout=2, **auth)
    try:
        return (await nc.jetstream().account_info()).streams
    finally:
        await nc.close()


async def _quiet(_: Exception) -> None:
    pass


async def _refused(url: str) -> bool:
    nc = nats.NATS()
    try:
        await nc.connect(url, allow_reconnect=False, connect_timeout=2, error_cb=_quiet)
    except nats.errors.Error as e:
        return "Authorization Violation" in str(e)
    finally:
        await nc.close()
    return False


def test_all_interfaces_generates_a_password_prints_it_once_and_warns():
    with Foreground("--host", "0.0.0.0") as fg:
        text = fg.text
        assert "Listening on all interfaces (0.0.0.0)" in text
        port = re.search(r"nats://jslab:\*\*\*@127\.0\.0\.1:(\d+)   \(this machine\)", text)[1]
        assert f"nats://jslab:***@{socket.gethostname()}:{port}" in text
        assert "user: jslab" in text
        password = re.search(r"^password: (\S+)$", text, re.M)[1]
        assert len(password) >= 30 and text.count(password) == 1  # on its own line, once
        assert "WARNING: JetStream is now reachable from the network" in text
        url = f"nats://127.0.0.1:{port}"
        assert asyncio.run(_streams(url, user="jslab", password=password)) == 0
        assert asyncio.run(_refused(url))
        fg.stop()


def test_given_credentials_and_the_password_in_the_url_on_request():
    with Foreground("--host", "0.0.0.0", "--user", "alice", "--password", "s3cret-pw",
                    "--url-with-password") as fg:
        url = re.search(r"(nats://alice:s3cret-pw@127\.0\.0\.1:\d+)   \(this machine\)",
                        fg.text)[1]
        assert "password: the one you gave" in fg.text
        assert asyncio.run(_streams(url)) == 0  # nats-py takes the credentials from the URL
        fg.stop()


def test_urls_quote_what_a_url_cannot_hold():
    from jslab.cli import _with_userinfo

    assert (_with_userinfo("nats://127.0.0.1:1,nats://127.0.0.1:2", "a@b", "p%20w")
            == "nats://a%40b:p%20w@127.0.0.1:1,nats://a%40b:p%20w@127.0.0.1:2")


def test_loopback_keeps_no_auth():
    with Foreground() as fg:
        url = re.search(r"jslab\.connect\('(nats://127\.0\.0\.1:\d+)'\)", fg.text)[1]
        assert "WARNING" not in fg.text and "password" not in fg.text
        assert asyncio.run(_streams(url)) == 0
        fg.stop()


def test_cluster_honours_host_and_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with Foreground("--cluster", "2", "--host", "0.0.0.0", "--port", str(port)) as fg:
        assert re.search(rf"n1: nats://127\.0\.0\.1:{port}\b", fg.text), fg.text
        assert "2 nodes" in fg.text and "meta leader" in fg.text
        password = re.search(r"^password: (\S+)$", fg.text, re.M)[1]
        assert asyncio.run(_streams(f"nats://127.0.0.1:{port}", user="jslab",
                                    password=password)) == 0
        fg.stop()


def test_a_store_dir_in_use_is_a_clean_error(tmp_path):
    with Foreground("--store", str(tmp_path)) as first:
        assert "Ctrl-C stops" in first.text
        out = subprocess.run([*JSLAB, "server", "--store", str(tmp_path)], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 1 and "Traceback" not in out.stderr
        assert f"started by pid {first.proc.pid} (another process)" in out.stderr
        first.stop()
