"""Checks for 00-welcome."""

from __future__ import annotations

from . import NotYet, exercise, require_stream


@exercise("00.1", "publish three messages to a stream named GREETINGS and ack them all")
def greetings(lab) -> str:
    info = require_stream(lab, "GREETINGS", extra="...")
    if info.state.messages < 3:
        raise NotYet(f"GREETINGS holds {info.state.messages} messages; publish at least 3.")
    consumers = lab.consumer_names("GREETINGS")
    if not consumers:
        raise NotYet("add a consumer on GREETINGS, fetch the messages and ack them.")
    for name in consumers:
        c = lab.consumer_info("GREETINGS", name)
        if c.ack_floor.stream_seq >= info.state.last_seq:
            return f"consumer {name} acknowledged all {info.state.messages} messages."
    raise NotYet("no consumer on GREETINGS has acknowledged every message yet "
                 "(its ack floor is below the last sequence).")
