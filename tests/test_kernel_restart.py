"""A Jupyter kernel killed with SIGKILL (what "restart kernel" can do) leaves no nats-server."""

from __future__ import annotations

import os
import time

from jupyter_client.manager import start_new_kernel


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"  # a zombie is dead, only not yet reaped
    except FileNotFoundError:
        return False


def _run(client, code: str) -> str:
    """Execute ``code`` in the kernel and return its stdout."""
    msg_id = client.execute(code)
    out = []
    while True:
        msg = client.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            raise AssertionError("\n".join(msg["content"]["traceback"]))
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(out)


def test_killed_kernel_takes_its_servers_with_it():
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        out = _run(kc, "import jslab\n"
                       "lab = jslab.start()\n"
                       "lab3 = jslab.LocalCluster(3).start()\n"
                       "print(lab.server.pid, *[s.pid for s in lab3.servers])\n")
        pids = [int(p) for p in out.split()]
        assert len(pids) == 4 and all(_alive(p) for p in pids)
        os.kill(km.provisioner.process.pid, 9)  # SIGKILL the kernel process itself
        deadline = time.monotonic() + 2
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [p for p in pids if _alive(p)], "servers outlived their kernel"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
