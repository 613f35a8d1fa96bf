"""``lab.aio``: awaitable versions of the lab's calls, for cells that prefer ``await``.

    >>> ack = await lab.aio.publish("orders.new", b"x")
    >>> await lab.aio.run(lab.js.stream_info("ORDERS"))   # any nats-py coroutine
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["AsyncLab"]


class AsyncLab:
    """Every public method of a lab as a coroutine function (run on a worker thread)."""

    def __init__(self, lab: Any) -> None:
        self._lab = lab

    def run(self, coro: Any) -> Any:
        """Await a nats-py coroutine on jslab's loop from any loop (e.g. the kernel's)."""
        loop = self._lab.loop
        if loop.in_loop_thread():
            return coro
        return asyncio.wrap_future(loop.submit(coro))

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._lab, name)
        if not callable(method) or name.startswith("_"):
            raise AttributeError(name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            # The blocking method runs on a worker thread; the awaiting loop stays free.
            return await asyncio.get_running_loop().run_in_executor(
                None, lambda: method(*args, **kwargs))

        call.__name__ = name
        call.__doc__ = method.__doc__
        return call
