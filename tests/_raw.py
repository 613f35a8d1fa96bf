"""Raw nats-py helpers for tests that build server state without the Lab facade."""

from __future__ import annotations

from jslab.session import Session

_sessions: dict[int, Session] = {}


def run(server, scenario):
    """Run ``scenario(nc, js)`` on a fresh connection (a kit session on the loop thread, so
    the kit's async functions can be awaited inside); return what it returns."""
    session = Session([server.url], timeout=5.0)
    session.connect()
    _sessions[id(session.nc)] = session
    try:
        return session.call(scenario(session.nc, session.js), timeout=120)
    finally:
        _sessions.pop(id(session.nc), None)
        session.close()


def session_of(nc) -> Session:
    """The kit session a ``run`` scenario's ``nc`` belongs to."""
    return _sessions[id(nc)]


async def settle(nc, msg, verb: bytes) -> None:
    """nak/term and wait for the server's answer (nats-py's nak() and term() do not wait)."""
    await nc.request(msg.reply, verb, timeout=2)
