"""Checks for 23-event-sourcing.

    >>> jslab.check.ex("23.1", lab)
    ✓ 23.1 passed: cart 7 has 3 events; its snapshot holds ['tea', 'mug'] at seq 4.
"""

from __future__ import annotations

from ..errors import JslabError, StreamNotFoundError
from . import NotYet, exercise

_EVENTS = ("carts.7.created {}, carts.7.item_added tea, carts.8.created {}, "
           "carts.7.item_added mug, carts.8.item_added pen")


def matches(filter_subject: str, subject: str) -> bool:
    """Whether a NATS subject filter matches a subject (``*`` one token, ``>`` the rest).

        >>> matches("carts.*.item_added", "carts.8.item_added.v2")
        False
    """
    f, s = filter_subject.split("."), subject.split(".")
    for i, tok in enumerate(f):
        if tok == ">":
            return len(s) > i
        if i >= len(s) or (tok != "*" and tok != s[i]):
            return False
    return len(f) == len(s)


def _carts(lab):
    try:
        info = lab.stream_info("CARTS", subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet("there is no stream CARTS yet: create it on carts.> (section 'Events, "
                     "not state').") from None
    return info


def _cart7(lab) -> tuple[list[str], int, int]:
    """Cart 7's items folded from its events, its last sequence and its number of events."""
    frame = lab.messages("CARTS", subject="carts.7.>")
    items: list[str] = []
    last = 0
    for seq, subject, data in zip(frame["seq"], frame["subject"], frame["data"], strict=True):
        if subject == "carts.7.checked_out":
            break
        if subject == "carts.7.item_added" and isinstance(data, dict):
            items.append(data.get("sku"))
        last = int(seq)
    return items, last, len(frame)


@exercise("23.1", "cart 7 replayed and snapshotted in a KV bucket with its last sequence")
def cart_snapshot(lab) -> str:
    info = _carts(lab)
    subjects = info.state.subjects or {}
    if subjects.get("carts.7.item_added", 0) < 2 or "carts.8.created" not in subjects:
        raise NotYet(f"CARTS does not have the five events yet; publish, in order: {_EVENTS}.")
    items, last, count = _cart7(lab)
    try:
        bucket = lab.kv("cart-snapshots")
    except JslabError:
        raise NotYet("there is no KV bucket cart-snapshots yet: the snapshot goes there "
                     "(section 'Snapshots in a key-value bucket').") from None
    entry = bucket.get("cart.7")
    if entry is None:
        raise NotYet("cart-snapshots has no key cart.7 yet: store the replayed state there, "
                     "with the sequence it includes.")
    value = entry.data
    if not isinstance(value, dict) or "items" not in value or "seq" not in value:
        raise NotYet(f"the snapshot is {value!r}; it should be a JSON object with 'items' "
                     "(the skus) and 'seq'.")
    if value["items"] != items:
        raise NotYet(f"the snapshot's items are {value['items']!r}, but replaying cart 7 gives "
                     f"{items!r}: fold every event of carts.7.> in order, until num_pending is "
                     "0 (section 'Loading an aggregate').")
    if value["seq"] != last:
        stream_last = info.state.last_seq
        which = " (that is the stream's last sequence, not cart 7's)" \
            if value["seq"] == stream_last else ""
        raise NotYet(f"the snapshot says seq {value['seq']!r}{which}; it must be the sequence "
                     "of the last event of cart 7 that it includes, so that a load can replay "
                     "from the next one.")
    return (f"cart 7 has {count} events; its snapshot holds {items} at seq {last} "
            "(cart 7's last event, not the stream's).")


@exercise("23.2", "carts.7.checked_out guarded by cart 7's last event on carts.7.>")
def checkout(lab) -> str:
    info = _carts(lab)
    if "carts.7.checked_out" not in (info.state.subjects or {}):
        raise NotYet("CARTS has no carts.7.checked_out event yet: publish it with the "
                     "conditions that make the server refuse it if cart 7 changed (section "
                     "'Concurrency control per aggregate').")
    frame = lab.messages("CARTS", subject="carts.7.>")
    seqs = [int(s) for s in frame["seq"]]
    subjects = list(frame["subject"])
    i = subjects.index("carts.7.checked_out")
    headers = frame["headers"].iloc[i] or {}
    before = seqs[i - 1] if i else 0
    scope = headers.get("Nats-Expected-Last-Subject-Sequence-Subject")
    expected = headers.get("Nats-Expected-Last-Subject-Sequence")
    if expected is None:
        raise NotYet("carts.7.checked_out was stored without an expected last subject "
                     "sequence: nothing guarded it. Delete the stream and start again from "
                     "23.1, then publish it with the condition.")
    if scope != "carts.7.>":
        raise NotYet(f"the condition was scoped to {scope or 'the exact subject'!r}; it must "
                     "cover every event of cart 7 (carts.7.>), or another event type slips "
                     "through. Delete the stream and start again from 23.1.")
    return (f"carts.7.checked_out stored as seq {seqs[i]}, guarded by cart 7's last event "
            f"(seq {expected} on carts.7.>; the event before it is seq {before}).")


@exercise("23.3", "a v2 event and a durable items-report reading both versions")
def report(lab) -> str:
    info = _carts(lab)
    subjects = info.state.subjects or {}
    if not any(matches("carts.*.item_added.v2", s) for s in subjects):
        raise NotYet("CARTS has no version-2 item event yet: publish one on "
                     "carts.8.item_added.v2 (section 'Versioned event subjects').")
    if "items-report" not in lab.consumer_names("CARTS"):
        raise NotYet("CARTS has no consumer 'items-report' yet: add a durable that reads the "
                     "item_added events of both versions.")
    ci = lab.consumer_info("CARTS", "items-report")
    if not ci.config.durable_name:
        raise NotYet("items-report is not durable: a report keeps its cursor on the server.")
    filters = [f for f in [ci.config.filter_subject, *(ci.config.filter_subjects or [])] if f]
    wanted = {s for s in subjects if s.split(".")[2:3] == ["item_added"]}
    read = {s for s in subjects if any(matches(f, s) for f in filters)} if filters \
        else set(subjects)
    if read - wanted:
        raise NotYet(f"items-report also reads {sorted(read - wanted)}; it should read only "
                     "item_added events.")
    if wanted - read:
        raise NotYet(f"items-report misses {sorted(wanted - read)}: a filter with '*' matches "
                     "exactly one token, so each version needs its own filter (section "
                     "'Versioned event subjects').")
    total = sum(subjects[s] for s in wanted)
    return (f"items-report reads {total} item_added events of both versions "
            f"({ci.num_pending} unprocessed, filters {', '.join(filters)}).")
