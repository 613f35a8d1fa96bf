"""Checks for 05-retention.

    >>> jslab.check.ex("05.1", lab)
    ✓ 05.1 passed: CHORES holds only garden chores; the kitchen's were acked away.
"""

from __future__ import annotations

from . import NotYet, exercise, require_retention

_WHICH = {
    "workqueue": "the retention that removes a message once it is acked (section 'Work queue')",
    "interest": "the retention that keeps a message only while an interested consumer still "
                "owes an ack (section 'Interest')",
}


def _stream(lab, name: str, subjects: str, retention: str):
    return require_retention(
        lab, name, subjects, retention, _WHICH[retention], subjects_filter=">",
        fix="Retention cannot be switched to or from work queue later: delete the stream and "
        "create it again.")


def _consumer(lab, stream: str, name: str, filter_subject: str | None):
    if name not in lab.consumer_names(stream):
        which = f"filtered on {filter_subject}" if filter_subject else "without a filter"
        raise NotYet(f"{stream} has no consumer {name!r} yet: add it, {which}.")
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
        raise NotYet(f"{subjects['chores.kitchen']} kitchen chore(s) are still stored: on a "
                     "work queue only the ack removes a job (a fetched but unacked job stays).")
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


@exercise("05.3", "a work queue that terms one job and gives up on another")
def prints(lab) -> str:
    info = _stream(lab, "PRINTS", "prints.>", "workqueue")
    if "printer" not in lab.consumer_names("PRINTS"):
        raise NotYet("PRINTS has no consumer 'printer' yet: add one that stops redelivering a "
                     "message after 2 deliveries.")
    printer = lab.consumer_info("PRINTS", "printer")
    if printer.config.max_deliver != 2:
        raise NotYet(f"printer has max_deliver={printer.config.max_deliver}; it should give up "
                     "on a message after 2 deliveries (this setting of a consumer can be "
                     "updated).")
    if info.state.last_seq < 3:
        raise NotYet(f"{info.state.last_seq} jobs were published to PRINTS; publish three.")
    lab.flush()
    printer = lab.consumer_info("PRINTS", "printer")
    if printer.delivered.stream_seq < 3:
        raise NotYet(f"printer has delivered up to seq {printer.delivered.stream_seq}; fetch all "
                     "three jobs.")
    kept = {int(s) for s in lab.messages("PRINTS").seq if s <= 3}
    if 3 in kept:
        raise NotYet("job 3 is still stored: on a work queue the ack is what removes a job.")
    if 1 in kept:
        raise NotYet("job 1 is still stored: the printer should answer it with the reply that "
                     "means 'never deliver this again' (see 'Giving up on a message').")
    if 2 not in kept:
        raise NotYet("job 2 is gone: it was acked or termed. This exercise wants it to run out "
                     "of deliveries instead: delete PRINTS and start over.")
    if printer.num_ack_pending:
        raise NotYet(f"the server still counts {printer.num_ack_pending} message(s) of printer as "
                     "ack pending: job 2 needs its second delivery answered with a nak, and the "
                     "server gives up on it only when it next looks for something to deliver "
                     "(one more fetch).")
    return (f"PRINTS holds only job 2, which printer gave up on after 2 deliveries; printer's "
            f"ack floor is {printer.ack_floor.stream_seq} and stays below it until a later "
            "message is acked.")
