"""Checks for 01-reading-the-pictures."""

from __future__ import annotations

from . import NotYet, exercise


def _ex01(lab):
    from ..errors import StreamNotFoundError

    try:
        return lab.stream_info("EX01")
    except StreamNotFoundError:
        raise NotYet("there is no stream EX01 yet: create it, capturing the subjects that "
                     "start with 'ex01.'.") from None


@exercise("01.1", "consumer picker on EX01: ack floor 4, sequences 5 and 6 awaiting ack")
def picker_position(lab) -> str:
    info = _ex01(lab)
    if info.state.last_seq < 8:
        raise NotYet(f"EX01 has {info.state.last_seq} messages; publish 8.")
    if "picker" not in lab.consumer_names("EX01"):
        raise NotYet("EX01 has no consumer named picker yet; it is the bookmark whose "
                     "position the picture shows.")
    c = lab.consumer_info("EX01", "picker")
    floor, delivered = c.ack_floor.stream_seq, c.delivered.stream_seq
    if floor != 4:
        raise NotYet(f"picker's ack floor is {floor}; acknowledge sequences 1-4 (and only "
                     "those): the ack floor is the last sequence below which all is acked.")
    if (delivered, c.num_ack_pending) != (6, 2):
        raise NotYet(f"picker delivered up to {delivered} with {c.num_ack_pending} awaiting ack; "
                     "have exactly 5 and 6 delivered and leave them unacknowledged.")
    rest = f" ({delivered + 1}-{info.state.last_seq})" if c.num_pending else ""
    return (f"picker's ack floor is 4 and sequences 5 and 6 are awaiting ack; "
            f"{c.num_pending} unprocessed{rest}.")


@exercise("01.2", "a gap at sequence 3 of EX01")
def gap(lab) -> str:
    _ex01(lab)
    snap = lab.snapshot("EX01")
    if 3 not in snap.deleted:
        where = f"gaps at {list(snap.deleted)}" if snap.deleted else "no gaps"
        raise NotYet(f"EX01 has {where}; a single stored message can be deleted by its "
                     "sequence, which leaves a gap there.")
    return (f"sequence 3 of EX01 is a gap in the tape: seq {snap.first_seq}..{snap.last_seq}, "
            f"{snap.messages} messages.")
