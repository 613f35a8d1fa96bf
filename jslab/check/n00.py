"""Checks for 00-welcome."""

from __future__ import annotations

from . import NotYet, exercise


def stream(lab, name: str, how: str):
    """The stream's info, or NotYet saying it does not exist yet and what it is for."""
    from ..errors import StreamNotFoundError

    try:
        return lab.stream_info(name)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: {how}") from None


@exercise("00.1", "publish three messages to a stream named GREETINGS and ack them all")
def greetings(lab) -> str:
    info = stream(lab, "GREETINGS", "create it first; without subjects, a stream captures "
                                    "the one subject that is its own name.")
    if info.state.messages < 3:
        raise NotYet(f"GREETINGS holds {info.state.messages} messages; publish at least 3 to "
                     "the subject it captures (its own name).")
    consumers = lab.consumer_names("GREETINGS")
    if not consumers:
        raise NotYet("GREETINGS has no consumer yet: a consumer is what hands the stored "
                     "messages out to a fetch, so add one.")
    best = None
    for name in consumers:
        c = lab.consumer_info("GREETINGS", name)
        floor = c.ack_floor.stream_seq
        if floor >= info.state.last_seq:
            return (f"consumer {name} acknowledged all {info.state.messages} messages (ack "
                    f"floor {floor}); GREETINGS still holds {info.state.messages}.")
        if best is None or floor > best[1]:
            best = (name, floor, c.num_ack_pending)
    name, floor, pending = best
    raise NotYet(f"no consumer on GREETINGS has acknowledged every message yet: {name}'s ack "
                 f"floor is {floor} of {info.state.last_seq}, with {pending} awaiting ack. "
                 "Fetch the messages and acknowledge each one.")
