"""Checks for 05-retention.

    >>> jslab.check.ex("05.1", lab)
    ✓ 05.1 passed: CHORES holds only garden chores; the kitchen's were acked away.
"""

from __future__ import annotations

from . import NotYet, exercise, require_stream


def _stream(lab, name: str, subjects: str, retention: str):
    info = require_stream(lab, name, subjects, extra=f"retention={retention!r}",
                          subjects_filter=">")
    current = getattr(info.config.retention, "value", info.config.retention)
    if current != retention:
        raise NotYet(f"{name} has retention={current!r}; it needs "
                     f"retention={retention!r} (delete it and create it again: retention cannot "
                     "always be changed later).")
    return info


def _consumer(lab, stream: str, name: str, filter_subject: str | None):
    if name not in lab.consumer_names(stream):
        how = f", filter_subject={filter_subject!r}" if filter_subject else ""
        raise NotYet(f"add the consumer {name!r} on {stream}: "
                     f"lab.add_consumer({stream!r}, {name!r}{how}).")
    info = lab.consumer_info(stream, name)
    filters = [f for f in [info.config.filter_subject, *(info.config.filter_subjects or [])] if f]
    if filter_subject is None and filters:
        raise NotYet(f"{name} filters on {filters}; it should have no filter (all subjects).")
    if filter_subject is not None and filters != [filter_subject]:
        raise NotYet(f"{name} should filter on {filter_subject!r}, not {filters or 'nothing'}.")
    return info


@exercise("05.1", "a work-queue stream CHORES shared by two filtered consumers")
def chores(lab) -> str:
    _stream(lab, "CHORES", "chores.>", "workqueue")
    kitchen = _consumer(lab, "CHORES", "kitchen", "chores.kitchen")
    _consumer(lab, "CHORES", "garden", "chores.garden")
    lab.flush()
    kitchen = lab.consumer_info("CHORES", "kitchen")
    subjects = lab.stream_info("CHORES", subjects_filter=">").state.subjects or {}
    if kitchen.delivered.consumer_seq < 2:
        raise NotYet(f"kitchen has received {kitchen.delivered.consumer_seq} chores; publish two "
                     "to chores.kitchen and fetch them with the kitchen consumer.")
    if subjects.get("chores.garden", 0) < 2:
        raise NotYet(f"CHORES holds {subjects.get('chores.garden', 0)} garden chores; publish "
                     "two to chores.garden (nobody acks them, so they stay).")
    if subjects.get("chores.kitchen", 0):
        raise NotYet(f"{subjects['chores.kitchen']} kitchen chore(s) are still stored: the "
                     "kitchen consumer must ack every one (a fetched but unacked job stays).")
    return (f"CHORES holds only {subjects['chores.garden']} garden chores; the kitchen's were "
            "acked away.")


@exercise("05.2", "an interest stream ALERTS where the pager still owes an ack")
def alerts(lab) -> str:
    _stream(lab, "ALERTS", "alerts.>", "interest")
    _consumer(lab, "ALERTS", "pager", "alerts.critical")
    _consumer(lab, "ALERTS", "archive", None)
    lab.flush()
    archive = lab.consumer_info("ALERTS", "archive")
    subjects = lab.stream_info("ALERTS", subjects_filter=">").state.subjects or {}
    if archive.delivered.consumer_seq < 2:
        raise NotYet(f"archive has received {archive.delivered.consumer_seq} alerts; publish one "
                     "to alerts.info and one to alerts.critical after creating both consumers, "
                     "then fetch them with archive.")
    if archive.num_pending or archive.num_ack_pending:
        raise NotYet(f"archive still has {archive.num_pending} unread and "
                     f"{archive.num_ack_pending} unacked alerts: fetch and ack them all.")
    others = {s: n for s, n in subjects.items() if s != "alerts.critical"}
    if others:
        raise NotYet(f"ALERTS still holds {others}: only pager's alerts should be left.")
    if not subjects.get("alerts.critical"):
        raise NotYet("no critical alert is stored: publish one to alerts.critical while pager "
                     "exists, and do not ack it with pager.")
    return (f"ALERTS holds {subjects['alerts.critical']} critical alert(s) that pager has not "
            "acked; everything else is gone.")
