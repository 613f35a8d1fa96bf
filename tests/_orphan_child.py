"""Child process for the no-orphans test: start servers, print their pids, wait to be killed.

    python tests/_orphan_child.py main      # spawn on the main thread (PDEATHSIG on Linux)
    python tests/_orphan_child.py thread    # spawn on a worker thread (the watchdog guards)
"""

from __future__ import annotations

import json
import sys
import threading
import time

from jslab.server import LocalCluster, LocalServer

held: list[object] = []


def start_servers() -> None:
    server = LocalServer().start()
    cluster = LocalCluster(3).start()
    held.extend([server, cluster])  # keep them referenced: only the SIGKILL may end them
    pids = [server.pid] + [s.pid for s in cluster.servers]
    dirs = [str(server.store_dir), str(cluster.store_dir)]
    print(json.dumps({"pids": pids, "dirs": dirs}), flush=True)


if sys.argv[1:] == ["thread"]:
    worker = threading.Thread(target=start_servers)
    worker.start()
    worker.join()  # the spawning thread is gone; the servers must still run until we die
else:
    start_servers()
time.sleep(120)
