"""LocalServer's explicit life cycle (state, precise errors, the public calls LocalCluster
uses) and LocalCluster's size checks. Real servers."""

from __future__ import annotations

import ast
import inspect
import os
import signal
import socket
import time

import pytest

import jslab
from jslab import server as server_module
from jslab.server import LocalCluster, LocalServer, ServerConfigError, ServerError, ServerState


def test_states_through_a_whole_life():
    srv = LocalServer()
    assert srv.state is ServerState.NEW and "not started yet" in repr(srv)
    srv.spawn()
    assert srv.state in (ServerState.STARTING, ServerState.RUNNING) and srv.running
    assert srv.wait_ready(10) is srv and srv.state is ServerState.RUNNING
    assert srv.poll_ready() is True and srv.startup_ms > 0
    srv.stop()
    assert srv.state is ServerState.STOPPED and srv.pid is None
    srv.start()
    srv.terminate()
    assert srv.state in (ServerState.STOPPING, ServerState.STOPPED)
    srv.stop()
    assert srv.state is ServerState.STOPPED
    srv.start()
    srv.kill()
    assert srv.state is ServerState.KILLED and "stopped (killed)" in repr(srv)
    srv.restart()
    assert srv.state is ServerState.RUNNING
    srv.close()
    assert srv.state is ServerState.CLOSED and not srv.store_dir.exists()
    srv.close()  # twice is fine
    srv.stop()
    srv.kill()  # nothing left to stop: no error
    assert srv.state is ServerState.CLOSED


def test_precise_errors():
    srv = LocalServer()
    with pytest.raises(ServerError, match=r"cannot wait for 'jslab': it is new, not started"):
        srv.wait_ready(1)
    with pytest.raises(ServerError, match="not started yet"):
        srv.varz()
    srv.start()
    srv.stop()
    with pytest.raises(ServerError, match=r"cannot read /varz of 'jslab': the server is stopped"):
        srv.varz()
    srv.close()
    for call, verb in ((srv.start, "start"), (srv.spawn, "start"), (srv.restart, "restart"),
                       (srv.poll_ready, "wait for")):
        with pytest.raises(ServerError, match=f"cannot {verb} a closed server"):
            call()


def test_a_server_that_dies_by_itself_is_exited():
    with LocalServer() as srv:
        srv.monitor("varz")
        os.kill(srv.pid, signal.SIGKILL)  # from outside, as an OOM killer would
        deadline = time.monotonic() + 5
        for _ in range(500):
            if srv.state is ServerState.EXITED or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert srv.state is ServerState.EXITED and "stopped (exited)" in repr(srv)
        with pytest.raises(ServerError, match="exited by itself"):
            srv.poll_ready()
        srv.start()  # and it comes back on the same store
        assert srv.state is ServerState.RUNNING


def test_local_cluster_uses_only_public_members_of_local_server():
    tree = ast.parse(inspect.getsource(LocalCluster))
    private = sorted(
        f"line {node.lineno}: .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    )
    assert private == []
    assert "._res" not in inspect.getsource(server_module._stop_servers)


@pytest.mark.parametrize("size", [1, 0, -2, "3", 2.5, True, None])
def test_cluster_sizes_that_cannot_work_are_refused_at_once(size):
    t0 = time.monotonic()
    with pytest.raises(ServerConfigError) as err:
        LocalCluster(size)
    assert time.monotonic() - t0 < 1
    if type(size) is int and size == 1:
        assert "jslab.start()" in str(err.value)
    assert isinstance(err.value, ValueError)


def test_start_with_a_one_node_cluster_is_refused_at_once():
    t0 = time.monotonic()
    with pytest.raises(jslab.ValidationError, match=r"jslab\.start\(\)"):
        jslab.start(cluster=1, progress=False)
    assert time.monotonic() - t0 < 2


def test_two_nodes_on_all_interfaces_with_the_first_on_a_given_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with LocalCluster(2, host="0.0.0.0", port=port, user="alice", password="pw") as cluster:
        assert cluster.servers[0].port == port and cluster.urls[0] == f"nats://127.0.0.1:{port}"
        assert cluster.meta_leader() in {"n1", "n2"}
        assert cluster.credentials == {"user": "alice", "password": "pw"}
        for s in cluster.servers:  # clients on every interface; routes and monitoring stay local
            varz = s.varz()
            assert varz["host"] == "0.0.0.0" and varz["http_host"] == "127.0.0.1"
            assert varz["cluster"]["addr"] == "127.0.0.1"
        cluster.stop()
        assert cluster.running == []
        assert [s.state for s in cluster.servers] == [ServerState.STOPPED] * 2
    assert [s.state for s in cluster.servers] == [ServerState.CLOSED] * 2
