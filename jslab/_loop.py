"""One background thread running one asyncio loop, so notebook cells can stay synchronous.

Every nats-py object lives on this loop. A cell calls ``loop.call(coro)``: the coroutine runs
on the loop thread and the cell blocks for its result. Interrupting the kernel (Ctrl-C,
KeyboardInterrupt) cancels the pending coroutine and leaves the loop usable.

    >>> loop = EventLoopThread()
    >>> loop.call(asyncio.sleep(0, result=42))
    42
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from .errors import JslabError, JslabTimeoutError

T = TypeVar("T")

__all__ = ["EventLoopThread", "LoopClosedError", "WrongThreadError"]


class LoopClosedError(JslabError):
    """The background loop was closed; nothing more can run on it."""


class WrongThreadError(JslabError):
    """A blocking call was made from the loop thread itself (it would deadlock)."""


class EventLoopThread:
    """A daemon thread owning one asyncio event loop."""

    def __init__(self, name: str = "jslab-loop") -> None:
        self.name = name
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        try:
            self._loop.run_forever()
        finally:
            # Cancel whatever is left so tasks do not complain about being destroyed pending.
            pending = [t for t in asyncio.all_tasks(self._loop) if not t.done()]
            for t in pending:
                t.cancel()
            if pending:
                self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    @property
    def closed(self) -> bool:
        return self._closed

    def in_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop; return a concurrent future (does not block)."""
        if self._closed:
            coro.close()
            raise LoopClosedError(
                "the jslab background loop is closed. Start a new lab with jslab.start() "
                "or jslab.connect()."
            )
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def call_soon(self, fn, *args) -> None:
        """Run a plain callback on the loop thread without waiting (fire-and-forget)."""
        if self._closed:
            raise LoopClosedError("the jslab background loop is closed")
        self._loop.call_soon_threadsafe(fn, *args)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop thread and block until it finishes.

        ``timeout`` (seconds) cancels the coroutine and raises ``JslabTimeoutError``.
        KeyboardInterrupt cancels the coroutine and propagates.
        """
        __tracebackhide__ = True  # keep learners' tracebacks short
        if self.in_loop_thread():
            coro.close()
            raise WrongThreadError(
                "a blocking jslab call was made from jslab's own event-loop thread, which would "
                "wait forever for itself. Inside async callbacks use the awaitable API "
                "(`await lab.aio.<method>(...)`) instead of the blocking one."
            )
        if self._closed:
            coro.close()
            raise LoopClosedError(
                "the jslab background loop is closed. Start a new lab with jslab.start() "
                "or jslab.connect()."
            )
        # A plain lock released by the task's done callback is the cheapest cross-thread
        # wake-up (cheaper than concurrent.futures.Future's condition variable).
        done = threading.Lock()
        done.acquire()
        box: list[asyncio.Task] = []

        def finished(_task: asyncio.Task) -> None:
            done.release()

        def begin() -> None:
            task = self._loop.create_task(coro)
            box.append(task)
            task.add_done_callback(finished)

        self._loop.call_soon_threadsafe(begin)
        try:
            if not done.acquire(timeout=-1 if timeout is None else timeout):
                self._cancel(box)
                raise JslabTimeoutError(
                    f"the operation did not finish within {timeout} s and was cancelled. "
                    "Is the server reachable? Try again with a larger timeout."
                )
        except KeyboardInterrupt:
            # Interrupt kernel: stop the work on the loop thread, keep the loop alive.
            self._cancel(box)
            raise
        return box[0].result()

    def _cancel(self, box: list[asyncio.Task]) -> None:
        def cancel() -> None:
            for task in box:
                task.cancel()

        if not self._closed:
            self._loop.call_soon_threadsafe(cancel)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the loop and join its thread. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if not self.in_loop_thread():
            self._thread.join(timeout)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running"
        return f"<EventLoopThread {self.name!r} {state}>"


_default: EventLoopThread | None = None
_default_lock = threading.Lock()


def default_loop() -> EventLoopThread:
    """The process-wide loop thread jslab uses (created on first use, re-created if closed)."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = EventLoopThread()
        return _default
