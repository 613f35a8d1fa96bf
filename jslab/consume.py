"""Continuous consumption of a pull consumer in the background (``lab.consume``).

The mainstream way to read a pull consumer besides one-off fetches: worker threads fetch
batches in a loop and hand every message to a handler. With ``ack=True`` a message is acked
after the handler returns and naked (redelivered) when it raises; the handler may also
answer a message itself (``msg.term()``, ``msg.nak(delay=5)``), and the kit then leaves it.

    >>> c = lab.consume("ORDERS", "shipping", lambda m: print(m.data))
    >>> c.wait(processed=10, timeout=5); c.stop()
    >>> c
    <Consumption ORDERS/shipping stopped: 10 processed, 0 failed>
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from typing import Any

from . import arguments
from .errors import (
    ClosedError,
    ConsumerNotFoundError,
    JslabError,
    JslabTypeError,
    StreamNotFoundError,
)

__all__ = ["Consumption"]

# Errors after which fetching again cannot help: the loop ends and reports it.
_FATAL = (ClosedError, ConsumerNotFoundError, StreamNotFoundError)


class Consumption:
    """Worker threads running ``handler(msg)`` on every message of one pull consumer."""

    def __init__(self, lab: Any, stream: str, consumer: str, handler: Callable[[Any], Any], *,
                 batch: int = 100, wait: float = 1.0, ack: bool = True,
                 threads: int = 1) -> None:
        if not callable(handler):
            raise JslabTypeError("handler must be a function taking one message, e.g. "
                                 "lambda msg: print(msg.data).")
        if not isinstance(ack, bool):
            raise JslabTypeError(f"ack is True or False, not {ack!r}.")
        self.batch = arguments.count("batch", batch, minimum=1, maximum=10_000)
        self.wait_s = arguments.seconds("wait", wait, minimum=0.01, maximum=3600)
        self.threads = arguments.count("threads", threads, minimum=1, maximum=64)
        self.stream, self.consumer = stream, consumer
        self._lab, self._handler, self._ack = lab, handler, ack
        lab.consumer_info(stream, consumer)  # a missing consumer fails here, not in a thread
        self.processed = 0
        self.failed = 0
        #: The last 100 handler failures as (stream seq, exception).
        self.errors: collections.deque[tuple[int, BaseException]] = collections.deque(maxlen=100)
        #: What ended the loop early (a deleted consumer, a closed lab), or None.
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._undo = lab.on_close(self.stop)
        self._workers = [threading.Thread(target=self._run, name=f"jslab-consume-{i}",
                                          daemon=True) for i in range(self.threads)]
        for w in self._workers:
            w.start()

    @property
    def running(self) -> bool:
        return any(w.is_alive() for w in self._workers)

    @property
    def rate(self) -> float:
        """Messages processed per second since the start."""
        return self.processed / max(1e-9, time.monotonic() - self._started)

    def _run(self) -> None:
        lab = self._lab
        while not self._stop.is_set():
            try:
                msgs = lab.fetch(self.stream, self.consumer, self.batch, wait=self.wait_s)
            except _FATAL as e:
                self._end(e)
                return
            except JslabError as e:  # not connected, timeout: the server may come back
                self.errors.append((0, e))
                self._stop.wait(0.25)
                continue
            for m in msgs:
                self._one(m)

    def _one(self, m: Any) -> None:
        try:
            self._handler(m)
        except Exception as e:  # the handler's failure is counted, the message redelivered
            with self._lock:
                self.failed += 1
            self.errors.append((m.seq, e))
            if self._ack and not m.acked:
                self._answer(m.nak)
            return
        with self._lock:
            self.processed += 1
        if self._ack and not m.acked:
            self._answer(m.ack)

    def _answer(self, how: Callable[[], None]) -> None:
        try:
            how()
        except _FATAL as e:
            self._end(e)
        except JslabError as e:
            self.errors.append((0, e))

    def _end(self, e: BaseException) -> None:
        if not isinstance(e, ClosedError) or not self._stop.is_set():
            self.error = self.error or e
        self._stop.set()

    def wait(self, processed: int, timeout: float = 10.0) -> bool:
        """Block until ``processed`` messages were handled (True) or ``timeout`` s passed."""
        processed = arguments.count("processed", processed)
        timeout = arguments.seconds("timeout", timeout)
        deadline = time.monotonic() + timeout
        while self.processed < processed and self.running:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return self.processed >= processed

    def stop(self, timeout: float | None = None) -> None:
        """Stop fetching; messages already fetched are handled first. Safe to call twice."""
        self._stop.set()
        limit = self.wait_s + 5 if timeout is None else arguments.seconds("timeout", timeout)
        deadline = time.monotonic() + limit
        for w in self._workers:
            if w is not threading.current_thread():
                w.join(max(0.0, deadline - time.monotonic()))
        self._undo()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        ended = f", ended by {type(self.error).__name__}" if self.error else ""
        return (f"<Consumption {self.stream}/{self.consumer} {state}: {self.processed} "
                f"processed, {self.failed} failed{ended}>")
