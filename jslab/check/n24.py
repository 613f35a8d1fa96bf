"""Checks for 24-key-value.

    >>> jslab.check.ex("24.1", lab)
    ✓ 24.1 passed: KV_settings keeps 4 revisions of theme (3 to 6); 2 older ones were dropped.
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise

_OP = "KV-Operation"
_EXPECTED = "Nats-Expected-Last-Subject-Sequence"


def _bucket(lab, bucket: str, what: str):
    """The bucket's stream info (with per-subject counts), or NotYet saying what to create."""
    try:
        return lab.stream_info(f"KV_{bucket}", subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet(f"there is no bucket {bucket} yet (its stream would be KV_{bucket}): "
                     f"create a key-value bucket {what}.") from None


def _history(info, bucket: str, at_least: int, exactly: bool = False) -> int:
    keep = info.config.max_msgs_per_subject
    if (keep != at_least) if exactly else (keep < at_least):
        want = f"{at_least}" if exactly else f"at least {at_least}"
        raise NotYet(f"KV_{bucket} keeps {keep} message(s) per key; the bucket should keep {want} "
                     "revisions per key. That is the bucket's history setting (section 'History'"
                     "): delete the bucket and create it again.")
    return keep


def _key_messages(lab, bucket: str, key: str) -> list:
    """Every stored message of ``key``, oldest first (values and markers)."""
    subject = f"$KV.{bucket}.{key}"
    frame = lab.messages(f"KV_{bucket}", subject=subject)
    return [lab.get_msg(f"KV_{bucket}", int(seq)) for seq in frame["seq"]]


def _op(msg) -> str:
    return (msg.headers or {}).get(_OP, "PUT")


@exercise("24.1", "a bucket that keeps four revisions per key")
def settings(lab) -> str:
    info = _bucket(lab, "settings", "named settings that keeps 4 revisions per key")
    keep = _history(info, "settings", 4, exactly=True)
    subject = "$KV.settings.theme"
    stored = (info.state.subjects or {}).get(subject, 0)
    if not stored:
        raise NotYet("the bucket has no key theme yet: write it six times.")
    last = lab.get_last_msg("KV_settings", subject).seq
    kept = [m.seq for m in _key_messages(lab, "settings", "theme")]
    written = last - kept[0] + 1 if len(kept) == keep else len(kept)
    if len(kept) < keep or info.state.last_seq < 6:
        raise NotYet(f"theme has been written {written} time(s); write it six times.")
    if any(_op(m) != "PUT" for m in _key_messages(lab, "settings", "theme")):
        raise NotYet("theme has a delete or purge marker: this exercise only writes values; "
                     "delete the bucket and start over.")
    return (f"KV_settings keeps {len(kept)} revisions of theme ({kept[0]} to {kept[-1]}); "
            f"{kept[0] - 1} older ones were dropped.")


@exercise("24.2", "one key deleted, one purged")
def carts(lab) -> str:
    info = _bucket(lab, "carts", "named carts that keeps 5 revisions per key")
    _history(info, "carts", 5, exactly=True)
    one = _key_messages(lab, "carts", "cart.1")
    two = _key_messages(lab, "carts", "cart.2")
    values_one = [m for m in one if _op(m) == "PUT"]
    if not one or not two:
        missing = "cart.1" if not one else "cart.2"
        raise NotYet(f"the bucket has no {missing} yet: write cart.1 three times and cart.2 "
                     "twice.")
    if _op(two[-1]) == "PUT" and len(two) < 2:
        raise NotYet(f"cart.2 has been written {len(two)} time(s); write it twice.")
    if _op(one[-1]) == "PURGE":
        raise NotYet("cart.1 ends with a purge marker and lost its history: cart.1 should be "
                     "removed with the operation that keeps the earlier revisions (section "
                     "'delete and purge'). Delete the bucket and start over.")
    if _op(one[-1]) != "DEL":
        if len(values_one) < 3:
            raise NotYet(f"cart.1 has been written {len(values_one)} time(s); write it three "
                         "times, then remove it keeping its history.")
        raise NotYet("cart.1 still reads as a value: remove it with the operation that leaves a "
                     "marker and keeps the earlier revisions (section 'delete and purge').")
    if len(values_one) < 3:
        raise NotYet(f"cart.1 has {len(values_one)} value(s) under its marker; it should keep "
                     "all three: delete the bucket and start over.")
    if _op(two[-1]) == "DEL":
        raise NotYet("cart.2 ends with a delete marker, so its old values are still stored: it "
                     "should go with the operation that also removes the history (section "
                     "'delete and purge').")
    if _op(two[-1]) != "PURGE":
        raise NotYet("cart.2 still reads as a value: remove it together with its history "
                     "(section 'delete and purge').")
    if len(two) != 1:
        raise NotYet(f"cart.2 has {len(two)} messages; after the purge only its marker should "
                     "be left.")
    markers = sum(_op(m) != "PUT" for m in one + two)
    return (f"KV_carts holds {info.state.messages} messages: cart.1's {len(values_one)} values "
            f"under a delete marker, and cart.2's purge marker ({markers} markers).")


@exercise("24.3", "a seat created once and claimed at the revision read")
def seats(lab) -> str:
    _bucket(lab, "seats", "named seats")
    msgs = _key_messages(lab, "seats", "seat.12a")
    if not msgs:
        raise NotYet("the bucket has no key seat.12a yet: write \"free\" to it with the write "
                     "that fails when the key already exists (section 'create and update').")
    first = msgs[0]
    last = msgs[-1]
    if _op(last) != "PUT":
        raise NotYet("seat.12a ends with a delete or purge marker: delete the bucket and start "
                     "over.")
    expected = (last.headers or {}).get(_EXPECTED)
    if last.data == "free":
        if expected is None:
            raise NotYet("seat.12a was written with a plain write, which overwrites whatever is "
                         "there: create it with the write that fails when the key exists "
                         "(section 'create and update').")
        raise NotYet("seat.12a is still \"free\": claim it for \"alice\" with the write that "
                     "takes the revision you read.")
    if last.data != "alice":
        raise NotYet(f"seat.12a holds {last.data!r}; alice's claim should be the last value "
                     "stored, and bob's stale attempt refused (nothing stored).")
    if expected is None:
        raise NotYet("alice's claim was a plain write (no expected revision was sent): use the "
                     "write that succeeds only while the key is still at the revision you read "
                     "(section 'create and update').")
    if expected == "0":
        raise NotYet("alice's claim was written as a create: claim the existing seat with the "
                     "write that takes the revision you read.")
    if len(msgs) > 1 and (first.headers or {}).get(_EXPECTED) is None:
        raise NotYet("seat.12a was first written with a plain write: create it with the write "
                     "that fails when the key exists. Delete the bucket and start over.")
    return (f"seat.12a holds alice's claim (revision {last.seq}), written only because the seat "
            f"was still at revision {expected}; a second claim with {expected} gets 10071.")
