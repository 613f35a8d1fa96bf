"""One store dir, one server: a lock file in the store dir refuses a second LocalServer, in
this process or another, names its holder, and never outlives its holder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jslab.server import LocalServer, ServerError, ServerState

HERE = Path(__file__).parent
pytestmark = pytest.mark.skipif(os.name != "posix", reason="the store lock uses flock")

HOLDER = """\
import json, sys, time
from jslab.server import LocalServer
srv = LocalServer(sys.argv[1], name="holder").start()
print(json.dumps({"pid": srv.pid}), flush=True)
time.sleep(60)
"""

TAKER = """\
import sys
from jslab.server import LocalServer, ServerError
srv = LocalServer(sys.argv[1], name="taker")
try:
    srv.start()
except ServerError as e:
    print("REFUSED", e)
else:
    print("STARTED", srv.pid)
srv.close()
"""


def _python(code: str, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=HERE.parent,
                            stdout=subprocess.PIPE, text=True, **kw)


def test_a_second_server_on_the_same_dir_in_this_process_is_refused(tmp_path):
    with LocalServer(tmp_path, name="first") as first:
        second = LocalServer(tmp_path, name="second")
        t0 = time.time()
        with pytest.raises(ServerError, match="in use by") as err:
            second.start()
        message = str(err.value)
        assert f"pid {os.getpid()} (this process)" in message and "'first'" in message
        assert time.strftime("%Y-%m-%d", time.localtime(t0)) in message  # when it was taken
        assert not second.running and second.state is ServerState.NEW
        assert first.healthz() == {"status": "ok"}  # untouched: its config was not rewritten
        assert 'server_name: "first"' in first.config_path.read_text()
        second.close()
        # the lock goes with a stop and comes back with a start: restart keeps working
        first.restart()
        assert first.running
        first.stop()
        taken = LocalServer(tmp_path, name="after").start()  # free once the first stopped
        with pytest.raises(ServerError, match="'after'"):
            first.start()
        taken.close()
        first.start()
        first.kill()
        LocalServer(tmp_path, name="after-kill").start().close()


def test_a_dir_held_here_is_refused_to_another_process(tmp_path):
    with LocalServer(tmp_path, name="here"):
        proc = _python(TAKER, str(tmp_path))
        out, _ = proc.communicate(timeout=30)
    assert out.startswith("REFUSED"), out
    assert f"pid {os.getpid()} (another process)" in out and "'here'" in out
    proc = _python(TAKER, str(tmp_path))  # released by close()
    out, _ = proc.communicate(timeout=30)
    assert out.startswith("STARTED"), out


def test_a_dir_held_by_another_process_is_refused_here_until_it_dies(tmp_path):
    holder = _python(HOLDER, str(tmp_path))
    try:
        server_pid = json.loads(holder.stdout.readline())["pid"]
        srv = LocalServer(tmp_path, name="late")
        with pytest.raises(ServerError, match=rf"'holder' .*started by pid {holder.pid} \(another"):
            srv.start()
    finally:
        holder.send_signal(signal.SIGKILL)  # a stale lock: its holder cannot release it
        holder.wait(10)
        holder.stdout.close()
    deadline = time.monotonic() + 5  # its server dies with it (no orphans)
    for _ in range(500):
        if not Path(f"/proc/{server_pid}").exists() or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    srv.start()
    assert srv.running and srv.healthz() == {"status": "ok"}
    srv.close()
