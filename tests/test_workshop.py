"""`jslab workshop init`, `jslab server --config` and `jslab workshop status`: the generated
configuration passes `nats-server -t`, its secrets stay private, the server refuses a network
address without authorization, and the facilitator's board reads every account.
Real servers on loopback only."""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
from _net import free_ports

import jslab
from jslab import check
from jslab.cli import main
from jslab.server import ServerConfigError
from jslab.workshop import (
    ConfiguredServer,
    ProgressBoard,
    anonymous_refused,
    check_config,
    load_workshop,
)

JSLAB = [sys.executable, "-m", "jslab"]
pytestmark = pytest.mark.timeout(120)



def init(tmp_path, n: int = 3, *extra: str, capsys=None):
    port, monitor = free_ports(2)
    out = tmp_path / "workshop"
    argv = ["workshop", "init", "--participants", str(n), "--out", str(out),
            "--host", "10.1.2.3", "--port", str(port), "--monitor-port", str(monitor), *extra]
    assert main(argv) == 0
    return load_workshop(out)


def test_init_writes_a_valid_private_config_and_the_sheets(tmp_path, capsys):
    ws = init(tmp_path, 3)
    printed = capsys.readouterr().out
    assert "Workshop for 3 participants written to" in printed
    assert "configuration file" in printed and "is valid" in printed
    assert f"jslab server --config {ws.config_path} --host 0.0.0.0" in printed
    passwords = [p.password for p in ws.participants] + [ws.facilitator_password]
    assert not any(pw in printed for pw in passwords), "init printed a password"
    assert len(set(passwords)) == 4 and all(len(pw) >= 16 for pw in passwords)

    assert stat.S_IMODE(ws.folder.stat().st_mode) == 0o700
    for path in (ws.config_path, ws.sheet_md, ws.sheet_csv, ws.spec_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert "is valid" in check_config(ws.config_path)

    conf = ws.config_path.read_text()
    assert 'server_name: "jslab-workshop"' in conf and "system_account: SYS" in conf
    assert conf.count("max_mem: 64M, max_file: 256M, max_streams: 50, max_consumers: 200") == 3
    assert "no_auth_user" not in conf
    assert f'http: "127.0.0.1:{ws.monitor_port}"' in conf

    rows = list(csv.DictReader(ws.sheet_csv.read_text().splitlines()))
    assert [r["participant"] for r in rows] == ["p01", "p02", "p03"]
    sheet = ws.sheet_md.read_text()
    for p, row in zip(ws.participants, rows, strict=True):
        assert row == {"participant": p.name, "url": f"nats://10.1.2.3:{ws.port}",
                       "user": p.name, "password": p.password}
        assert (f"export NATS_URL=nats://10.1.2.3:{ws.port} NATS_USER={p.name} "
                f"NATS_PASSWORD={p.password}") in sheet


def test_init_keeps_an_existing_workshop_unless_forced(tmp_path, capsys):
    ws = init(tmp_path, 2)
    argv = ["workshop", "init", "--participants", "2", "--out", str(ws.folder)]
    assert main(argv) == 2
    assert "exists already" in capsys.readouterr().err
    assert load_workshop(ws.folder).participants == ws.participants
    assert main([*argv, "--force"]) == 0
    assert load_workshop(ws.folder).participants != ws.participants


@pytest.mark.parametrize(("argv", "message"), [
    (["--participants", "0"], "from 1 to 500, not '0'"),
    (["--participants", "501"], "from 1 to 500, not '501'"),
    (["--participants", "3", "--max-mem", "lots"], "a size like 64M or 1G, not 'lots'"),
    (["--participants", "3", "--port", "4222", "--monitor-port", "4222"], "must differ"),
])
def test_init_refuses_bad_values_in_one_line(tmp_path, capsys, argv, message):
    try:
        code = main(["workshop", "init", "--out", str(tmp_path / "w"), *argv])
    except SystemExit as e:
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "w" / "workshop.conf").exists()


def test_thirty_accounts_with_custom_limits_pass_the_binary(tmp_path):
    ws = init(tmp_path, 30, "--max-mem", "16M", "--max-file", "32M", "--max-streams", "10")
    assert [p.name for p in ws.participants][::29] == ["p01", "p30"]
    assert "is valid" in check_config(ws.config_path)
    assert "max_mem: 16M, max_file: 32M, max_streams: 10" in ws.config_path.read_text()


def test_the_workshop_server_isolates_accounts_and_refuses_anonymous_clients(tmp_path):
    ws = init(tmp_path, 2)
    with ConfiguredServer(ws.config_path) as srv:
        assert srv.auth_required is True and anonymous_refused("127.0.0.1", srv.port)
        assert srv.url == ws.local_url and srv.monitor_url == f"http://127.0.0.1:{ws.monitor_port}"
        assert srv.monitor("varz")["server_name"] == "jslab-workshop"
        with pytest.raises(jslab.errors.AuthorizationFailedError):
            jslab.connect(srv.url)
        with pytest.raises(jslab.errors.AuthorizationFailedError):
            jslab.connect(srv.url, user="p01", password=ws.participant("p02").password)
        a = jslab.connect(srv.url, **ws.credentials("p01"))
        b = jslab.connect(srv.url, **ws.credentials("p02"))
        try:
            a.add_stream("ORDERS", subjects=["orders.>"])
            a.publish("orders.new", "from p01")
            b.add_stream("ORDERS", subjects=["orders.>"])  # the same name: another account
            assert b.stream_info("ORDERS").state.messages == 0
            info = a.account_info()
            assert info.limits.max_streams == 50 and info.limits.max_consumers == 200
        finally:
            a.close()
            b.close()
        assert (srv.store_dir / "jetstream").is_dir()
        assert srv.store_dir == ws.folder / "store"
    assert not srv.running


def test_the_login_probe_runs_on_loopback_and_tells_open_from_protected(tmp_path):
    ws = init(tmp_path, 1)
    assert ConfiguredServer(ws.config_path, host="0.0.0.0").login_required() is True
    port = free_ports(1)[0]
    conf = tmp_path / "open.conf"
    conf.write_text(f'listen: "127.0.0.1:{port}"\n')
    srv = ConfiguredServer(conf, host="0.0.0.0")
    assert srv.login_required() is False and not srv.running and srv.port is None


def test_a_network_address_is_refused_for_a_config_without_authorization(tmp_path, capsys):
    port = free_ports(1)[0]
    for body in ("", 'no_auth_user: "guest"\nauthorization { users: [{user: "guest", '
                     'password: "x"}] }\n'):
        conf = tmp_path / "open.conf"
        conf.write_text(f'listen: "127.0.0.1:{port}"\njetstream {{}}\n{body}')
        assert main(["server", "--config", str(conf), "--host", "0.0.0.0"]) == 1
        err = capsys.readouterr().err
        assert "lets anyone connect without logging in" in err and "--host 127.0.0.1" in err
        with socket.socket() as s:  # nothing is left listening
            assert s.connect_ex(("127.0.0.1", port)) != 0


def test_server_config_refuses_what_belongs_in_the_file(tmp_path, capsys):
    ws = init(tmp_path, 1)
    capsys.readouterr()
    assert main(["server", "--config", str(ws.config_path), "--user", "x"]) == 2
    assert "--user cannot be combined with --config" in capsys.readouterr().err
    assert main(["server", "--config", str(tmp_path / "nope.conf")]) == 2
    assert "no configuration file" in capsys.readouterr().err
    bad = tmp_path / "bad.conf"
    bad.write_text("listen: {{{\n")
    with pytest.raises(ServerConfigError, match="refuses the configuration"):
        ConfiguredServer(bad).start()


def test_jslab_server_config_runs_in_the_foreground_until_ctrl_c(tmp_path):
    ws = init(tmp_path, 2)
    proc = subprocess.Popen([*JSLAB, "server", "--config", str(ws.config_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C stops" in line or not line:
                break
        text = "".join(lines)
        assert "authorization: required (an anonymous client was refused)" in text, text
        assert f"listening on 127.0.0.1 port {ws.port}" in text
        assert f"workshop: 2 participants connect to nats://10.1.2.3:{ws.port}" in text
        assert "only this machine can connect" in text
        assert not any(p.password in text for p in ws.participants)
        lab = jslab.connect(ws.local_url, **ws.credentials("p02"))
        assert lab.stream_names() == []
        lab.close()
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0 and "stopped." in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def _solve_00_1(lab) -> None:
    lab.add_stream("GREETINGS")
    lab.publish_many("GREETINGS", ["hello", "hallo", "bonjour"])
    lab.add_consumer("GREETINGS", "greeter")
    lab.fetch("GREETINGS", "greeter", 3).ack_sync()


def test_the_board_shows_streams_consumers_and_checks_passed(tmp_path, capsys):
    ws = init(tmp_path, 3)
    with ConfiguredServer(ws.config_path) as srv:
        p1 = jslab.connect(srv.url, **ws.credentials("p01"))
        p2 = jslab.connect(srv.url, **ws.credentials("p02"))
        board = ProgressBoard(ws, srv.url)
        try:
            _solve_00_1(p1)
            p2.add_stream("GREETINGS")
            table = board.read()
            rows = {r.participant: r for r in table.rows}
            assert table.exercises == len(check.exercises())
            assert rows["p01"].passed == ("00.1",) and rows["p01"].streams == ("GREETINGS",)
            assert (rows["p01"].consumers, rows["p01"].messages, rows["p01"].online) == (1, 3, 1)
            assert rows["p02"].passed == () and rows["p02"].consumers == 0
            assert rows["p03"] == type(rows["p03"])("p03", 0, (), 0, 0, ())
            text = str(table)
            assert text.splitlines()[0] == ("workshop progress: 3 participants, 1 of them passed "
                                            "an exercise")
            assert re.search(r"^p01\s+1\s+1\s+1\s+3\s+1\s+00\.1\s+GREETINGS$", text, re.M), text
            assert "<td>p01</td>" in table._repr_html_()
            df = table.to_dataframe()
            assert list(df["passed"]) == [1, 0, 0] and list(df["online"]) == [1, 1, 0]

            capsys.readouterr()
            assert main(["workshop", "status", "--config", str(ws.config_path)]) == 0
            out = capsys.readouterr().out
            assert "workshop progress: 3 participants, 1 of them passed an exercise" in out
            assert re.search(r"^p01\s+1\s+1\s+1\s+3\s+1\s+00\.1\s+GREETINGS$", out, re.M)

            # a notebook start empties the account: the board remembers what passed
            p1.delete_stream("GREETINGS")
            again = {r.participant: r for r in board.read().rows}
            assert again["p01"].streams == () and again["p01"].passed == ("00.1",)
        finally:
            board.close()
            p1.close()
            p2.close()

        assert main(["workshop", "status", "--config", str(ws.folder), "--no-checks"]) == 0
        assert "(exercise checks not run)" in capsys.readouterr().out
    assert main(["workshop", "status", "--config", str(ws.folder)]) == 1
    assert "could not connect" in capsys.readouterr().err


def test_the_live_board_refreshes_in_place(tmp_path):
    pytest.importorskip("ipywidgets")
    ws = init(tmp_path, 2)
    with ConfiguredServer(ws.config_path) as srv, ProgressBoard(ws, srv.url,
                                                                checks=False) as board:
        view = board.live(every=0.2)
        assert view.refreshes == 1 and "<td>p01</td>" in view.html.value
        assert repr(view) == "<live workshop board: 2 participants, refreshed every 0.2 s>"
        bundle = view._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert bundle["text/plain"] == repr(view)
        lab = jslab.connect(srv.url, **ws.credentials("p02"))
        lab.add_stream("LIVE")
        deadline = time.monotonic() + 10
        while "LIVE" not in view.html.value and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "LIVE" in view.html.value and view.refreshes > 1
        lab.close()
        view.stop()
        assert view.state == "stopped" and "stopped" in view.status.value


def test_no_password_in_the_config_is_world_readable_even_after_a_rewrite(tmp_path):
    ws = init(tmp_path, 1)
    os.chmod(ws.config_path, 0o644)
    assert main(["workshop", "init", "--participants", "1", "--out", str(ws.folder),
                 "--force"]) == 0
    assert stat.S_IMODE(ws.config_path.stat().st_mode) == 0o600
