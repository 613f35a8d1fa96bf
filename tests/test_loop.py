"""The background loop thread: results, errors, timeouts, interrupts, the deadlock guard."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest

from jslab._loop import EventLoopThread, LoopClosedError, WrongThreadError
from jslab.errors import JslabTimeoutError


@pytest.fixture
def loop():
    lt = EventLoopThread(name="test-loop")
    yield lt
    lt.close()


def test_call_returns_result_and_runs_on_loop_thread(loop):
    async def where():
        return threading.current_thread().name

    assert loop.call(where()) == "test-loop"


def test_exceptions_propagate(loop):
    async def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        loop.call(boom())


def test_timeout_cancels_the_coroutine(loop):
    cancelled = threading.Event()

    async def slow():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    t0 = time.monotonic()
    with pytest.raises(JslabTimeoutError, match=r"did not finish within 0\.2 s"):
        loop.call(slow(), timeout=0.2)
    assert time.monotonic() - t0 < 2
    assert cancelled.wait(2)
    assert loop.call(asyncio.sleep(0, result=1)) == 1  # still usable


def test_keyboard_interrupt_cancels_pending_work_and_loop_stays_usable(loop):
    cancelled = threading.Event()

    async def slow():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    main = threading.main_thread()
    assert threading.current_thread() is main
    # What Jupyter's "interrupt kernel" does: SIGINT to the kernel process.
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        loop.call(slow())
    assert cancelled.wait(2)
    assert loop.call(asyncio.sleep(0, result="ok")) == "ok"


def test_blocking_call_from_the_loop_thread_is_refused(loop):
    async def inner():
        return loop.call(asyncio.sleep(0))

    with pytest.raises(WrongThreadError, match="would wait forever"):
        loop.call(inner(), timeout=2)


def test_close_is_idempotent_and_joins(loop):
    loop.close()
    loop.close()
    assert loop.closed
    assert not loop._thread.is_alive()
    with pytest.raises(LoopClosedError):
        loop.call(asyncio.sleep(0))
