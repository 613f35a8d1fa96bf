"""Checks for 11-deduplication.

    >>> jslab.check.ex("11.1", lab)
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise


def _stream(lab, name: str, subject: str):
    try:
        return lab.stream_info(name)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: the exercise starts with a stream that "
                     f"captures {subject}.") from None


def _window(info, seconds: float) -> None:
    window = info.config.duplicate_window or 0
    if round(window, 3) != seconds:
        raise NotYet(f"{info.config.name}'s duplicate window is {window:g} s; it should remember "
                     f"message ids for {seconds:g} s.")


def _stored(lab, info, data: str) -> list:
    """The stored messages of the stream whose payload is ``data``."""
    if not info.state.messages:
        return []
    df = lab.messages(info.config.name)
    return [lab.get_msg(info.config.name, int(seq))
            for seq, value in zip(df["seq"], df["data"], strict=True) if value == data]


def _msg_id(msg) -> str | None:
    return (msg.headers or {}).get("Nats-Msg-Id")


@exercise("11.1", "publish one message three times, stored once")
def stored_once(lab) -> str:
    info = _stream(lab, "EX_DEDUP", "ex.dedup")
    _window(info, 30)
    hellos = _stored(lab, info, "hello")
    if not hellos:
        raise NotYet("EX_DEDUP holds no 'hello' yet: publish it three times, as a publisher that "
                     "retries would.")
    if len(hellos) > 1:
        raise NotYet(f"EX_DEDUP stored 'hello' {len(hellos)} times: the server drops a repeat "
                     "only when it carries the same message id as the first attempt (an id "
                     "derived from the message, not made fresh for each attempt).")
    if not _msg_id(hellos[0]):
        raise NotYet("'hello' was stored without a message id, so a retry could not be told "
                     "apart from a new message: give every attempt an id.")
    return "EX_DEDUP stored 'hello' once, identified by its message id."


@exercise("11.2", "the longest duplicate window a 10-second max_age allows")
def longest_window(lab) -> str:
    info = _stream(lab, "EX_SHORT", "ex.short")
    max_age, window = info.config.max_age, info.config.duplicate_window
    if not max_age or round(max_age, 3) != 10:
        shown = f"{max_age:g} s" if max_age else "unlimited"
        raise NotYet(f"EX_SHORT's max_age is {shown}; its messages should live 10 s.")
    if round(window or 0, 3) != 10:
        raise NotYet(f"EX_SHORT's duplicate window is {window or 0:g} s; the longest the server "
                     "allows is as long as a message lives.")
    return "EX_SHORT remembers message ids for 10 s, as long as its messages live."


@exercise("11.3", "the same message id stored twice, because the window ran out")
def after_the_window(lab) -> str:
    info = _stream(lab, "EX_WINDOW", "ex.window")
    _window(info, 1)
    pings = _stored(lab, info, "ping")
    if not pings:
        raise NotYet("EX_WINDOW holds no 'ping' yet.")
    ids = [_msg_id(m) for m in pings]
    if None in ids:
        raise NotYet("a 'ping' was stored without a message id: without one there is no "
                     "duplicate window to run out.")
    if len(pings) == 1:
        raise NotYet("EX_WINDOW stored 'ping' once: publish it again, with the same id, when the "
                     "server no longer remembers that id.")
    if len(set(ids)) > 1:
        raise NotYet(f"the copies of 'ping' carry different ids ({', '.join(sorted(set(ids)))}): "
                     "the server stored them because each id was new, not because the window "
                     "ran out. Start again (purge the stream) with one id.")
    if len(pings) > 2:
        raise NotYet(f"EX_WINDOW stored 'ping' {len(pings)} times; twice is the exercise "
                     "(purge the stream and start again).")
    first, second = pings
    apart = ""
    if first.time and second.time:
        apart = f", {(second.time - first.time).total_seconds():.1f} s apart"
    return f"'ping' ({ids[0]}) was stored twice{apart}: the second came after the 1 s window."
