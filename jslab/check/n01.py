"""Checks for 01-reading-the-pictures."""

from __future__ import annotations

from . import NotYet, exercise, require_stream


def _ex01(lab):
    return require_stream(lab, "EX01", 'ex01.>')


@exercise("01.1", "consumer picker on EX01: ack floor 4, sequences 5 and 6 awaiting ack")
def picker_position(lab) -> str:
    info = _ex01(lab)
    if info.state.last_seq < 8:
        raise NotYet(f"EX01 has {info.state.last_seq} messages; publish 8.")
    if "picker" not in lab.consumer_names("EX01"):
        raise NotYet("add a consumer named picker on EX01.")
    c = lab.consumer_info("EX01", "picker")
    floor, delivered = c.ack_floor.stream_seq, c.delivered.stream_seq
    if floor != 4:
        raise NotYet(f"picker's ack floor is {floor}; acknowledge sequences 1-4 (and only those).")
    if (delivered, c.num_ack_pending) != (6, 2):
        raise NotYet(f"picker delivered up to {delivered} with {c.num_ack_pending} awaiting ack; "
                     "fetch exactly 5 and 6 and leave them unacknowledged.")
    return "picker's ack floor is 4 and sequences 5 and 6 are awaiting ack."


@exercise("01.2", "a gap at sequence 3 of EX01")
def gap(lab) -> str:
    _ex01(lab)
    snap = lab.snapshot("EX01")
    if 3 not in snap.deleted:
        where = f"gaps at {list(snap.deleted)}" if snap.deleted else "no gaps"
        raise NotYet(f"EX01 has {where}; delete sequence 3 with lab.delete_msg('EX01', 3).")
    return "sequence 3 of EX01 is a gap in the tape."
