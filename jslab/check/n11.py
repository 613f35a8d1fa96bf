"""Checks for 11-deduplication.

    >>> jslab.check.ex("11.1", lab)
"""

from __future__ import annotations

from . import NotYet, exercise, require_stream


def _stream(lab, name: str, subject: str, how: str):
    return require_stream(lab, name, subject, extra=how)


@exercise("11.1", "publish one message three times, stored once")
def stored_once(lab) -> str:
    info = _stream(lab, "EX_DEDUP", "ex.dedup", "duplicate_window=30")
    window = info.config.duplicate_window
    if not window or round(window) != 30:
        raise NotYet(f"EX_DEDUP's duplicate window is {window} s; make it 30 s.")
    first = info.state.first_seq or 1
    hellos = []
    for seq in range(first, info.state.last_seq + 1):
        if info.state.messages:
            msg = lab.get_msg("EX_DEDUP", seq)
            if msg.data == "hello":
                hellos.append(msg)
    if not hellos:
        raise NotYet("EX_DEDUP holds no 'hello': publish it three times with the same msg_id.")
    if len(hellos) > 1:
        raise NotYet(f"EX_DEDUP stored 'hello' {len(hellos)} times: give every attempt the same "
                     "msg_id (derived from the message, not made fresh each time).")
    if not (hellos[0].headers or {}).get("Nats-Msg-Id"):
        raise NotYet("'hello' was stored without a message id: publish it with msg_id=..., "
                     "three times.")
    return "EX_DEDUP stored 'hello' once, identified by its message id."


@exercise("11.2", "the longest duplicate window a 10-second max_age allows")
def longest_window(lab) -> str:
    info = _stream(lab, "EX_SHORT", "ex.short", "max_age=10, duplicate_window=...")
    max_age, window = info.config.max_age, info.config.duplicate_window
    if not max_age or round(max_age, 3) != 10:
        raise NotYet(f"EX_SHORT's max_age is {max_age or 'unlimited'}; messages should live 10 s.")
    if round(window or 0, 3) != 10:
        raise NotYet(f"EX_SHORT's duplicate window is {window} s; the longest the server allows "
                     "is max_age itself.")
    return "EX_SHORT remembers message ids for 10 s, as long as its messages live."
