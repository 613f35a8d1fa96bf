"""A daemon thread tied to a lab: started once, stopped by ``stop()`` or by ``lab.close()``.

The live views (recorder, dashboard) subclass it and implement ``_run``, which should loop
until ``self._stop`` is set.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["LabThread"]


class LabThread:
    lab: Any
    _stop: threading.Event
    _thread: threading.Thread

    def _start_thread(self, name: str) -> None:
        self._stop = threading.Event()
        self._undo_close = self.lab.on_close(self.stop)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:  # pragma: no cover - subclasses implement it
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop the background thread (safe to call twice; ``lab.close()`` calls it too)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=self.lab.timeout + 10)
        self._undo_close()
