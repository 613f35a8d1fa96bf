"""Raw nats-py helpers for tests that build server state without the Lab facade."""

from __future__ import annotations

import asyncio

import nats


def run(server, scenario):
    """Run ``scenario(nc, js)`` on a fresh raw nats-py connection; return what it returns."""

    async def main():
        nc = await nats.connect(server.url)
        try:
            return await scenario(nc, nc.jetstream())
        finally:
            await nc.close()

    return asyncio.run(main())


async def settle(nc, msg, verb: bytes) -> None:
    """nak/term and wait for the server's answer (nats-py's nak() and term() do not wait)."""
    await nc.request(msg.reply, verb, timeout=2)
