"""Checks for 21-fan-out.

    >>> jslab.check.ex("21.1", lab)
    ✓ 21.1 passed: PAYMENTS: ledger lags 0, fraud 2 (card payments only), receipts 2.
"""

from __future__ import annotations

import re

from . import NotYet, exercise, require_retention

_WHICH = {
    "limits": "the default retention, where acks remove nothing (section 'One stream, one "
              "durable per service')",
    "interest": "the retention that keeps a message only until every consumer has acked it "
                "(section 'Interest retention')",
}
_REFERENCE = re.compile(r"^\{\{\s*wildcard\s*\(\s*(\d+)\s*\)\s*\}\}$|^\$(\d+)$", re.IGNORECASE)


def _stream(lab, name: str, subjects: str, retention: str):
    return require_retention(lab, name, subjects, retention, _WHICH[retention],
                             subjects_filter=">")


def _durable(lab, stream: str, name: str, filter_subject: str | None):
    if name not in lab.consumer_names(stream):
        which = f"filtered on {filter_subject}" if filter_subject else "without a filter"
        raise NotYet(f"{stream} has no consumer {name!r} yet: add a durable, {which}.")
    info = lab.consumer_info(stream, name)
    if not info.config.durable_name:
        raise NotYet(f"{name} is not durable: each service needs a consumer that keeps its "
                     "cursor on the server (section 'One stream, one durable per service').")
    filters = [f for f in [info.config.filter_subject, *(info.config.filter_subjects or [])] if f]
    if filter_subject is None and filters:
        raise NotYet(f"{name} filters on {filters}; it should read every subject (no filter).")
    if filter_subject is not None and filters != [filter_subject]:
        raise NotYet(f"{name} should filter on {filter_subject!r}, not {filters or 'nothing'} "
                     "(section 'Filtered fan-out').")
    return info


def transformed(src: str, dest: str, subject: str) -> str | None:
    """Where a republish of ``src`` to ``dest`` sends ``subject`` (None: not selected).

    Understands the forms the notebook teaches: ``*`` and a trailing ``>`` in ``src``,
    ``{{wildcard(n)}}`` or ``$n`` and a trailing ``>`` in ``dest``.

        >>> transformed("sensors.*", "dash.{{wildcard(1)}}", "sensors.kitchen")
        'dash.kitchen'
    """
    s_tokens, tokens = src.split("."), subject.split(".")
    stars: list[str] = []
    rest: list[str] = []
    for i, tok in enumerate(s_tokens):
        if tok == ">":
            if len(tokens) <= i:
                return None
            rest = tokens[i:]
            break
        if i >= len(tokens):
            return None
        if tok == "*":
            stars.append(tokens[i])
        elif tok != tokens[i]:
            return None
    else:
        if len(tokens) != len(s_tokens):
            return None
    out = []
    for tok in dest.split("."):
        ref = _REFERENCE.match(tok)
        if ref:
            n = int(ref.group(1) or ref.group(2))
            if not 1 <= n <= len(stars):
                return None
            out.append(stars[n - 1])
        elif tok == ">" and rest:
            out.extend(rest)
        else:
            out.append(tok)
    return ".".join(out)


@exercise("21.1", "a fan-out PAYMENTS with three durables and their lags")
def payments(lab) -> str:
    info = _stream(lab, "PAYMENTS", "payments.>", "limits")
    _durable(lab, "PAYMENTS", "ledger", None)
    _durable(lab, "PAYMENTS", "fraud", "payments.card")
    _durable(lab, "PAYMENTS", "receipts", None)
    subjects = info.state.subjects or {}
    card, bank = subjects.get("payments.card", 0), subjects.get("payments.bank", 0)
    if card < 2 or bank < 2:
        raise NotYet(f"PAYMENTS holds {card} card and {bank} bank payments; publish two of "
                     "each (payments.card, payments.bank).")
    total = info.state.messages
    lab.flush()
    ledger = lab.consumer_info("PAYMENTS", "ledger")
    if ledger.num_pending or ledger.num_ack_pending:
        raise NotYet(f"ledger still has {ledger.num_pending} payments not delivered and "
                     f"{ledger.num_ack_pending} not acked: it should process every payment.")
    receipts = lab.consumer_info("PAYMENTS", "receipts")
    done = receipts.ack_floor.consumer_seq
    if done != 2 or receipts.num_ack_pending:
        raise NotYet(f"receipts has acknowledged {done} payment(s) in order and holds "
                     f"{receipts.num_ack_pending} unacked; it should have processed exactly "
                     "the first two.")
    fraud = lab.consumer_info("PAYMENTS", "fraud")
    if fraud.delivered.consumer_seq:
        raise NotYet(f"fraud has been delivered {fraud.delivered.consumer_seq} payment(s); it "
                     "has not started yet in this exercise. Delete it and add it again.")
    if fraud.num_pending != card:
        raise NotYet(f"fraud lags {fraud.num_pending}, but {card} card payments are stored: "
                     "check its filter.")
    return (f"PAYMENTS: ledger lags {ledger.num_pending}, fraud {fraud.num_pending} (card "
            f"payments only), receipts {receipts.num_pending} (of {total}).")


@exercise("21.2", "a stream SENSORS that republishes readings to dash.<room>")
def sensors(lab) -> str:
    info = _stream(lab, "SENSORS", "sensors.>", "limits")
    rp = info.config.republish
    if rp is None or not rp.dest:
        raise NotYet("SENSORS does not republish yet: give the stream a setting that copies "
                     "every stored message to a core subject (section 'Republish'). It can be "
                     "added to the existing stream.")
    src = rp.src or ">"
    got = transformed(src, rp.dest, "sensors.kitchen")
    if got is None and transformed(src, "x", "sensors.kitchen") is None:
        raise NotYet(f"the republish source {src!r} does not select sensors.kitchen.")
    if got != "dash.kitchen":
        raise NotYet(f"with src {src!r} and dest {rp.dest!r}, a reading on sensors.kitchen "
                     f"would arrive on {got or 'a subject this check cannot work out'}, not "
                     "dash.kitchen. Refer to the source's wildcard in the destination "
                     "(section 'Transform syntax the server accepts').")
    if rp.headers_only:
        raise NotYet("SENSORS republishes headers only: the dashboard needs the readings too.")
    if info.state.last_seq < 1:
        raise NotYet("SENSORS has no reading yet: publish one to sensors.kitchen while a core "
                     "subscriber listens on dash.>.")
    return (f"SENSORS copies {src} to {rp.dest}: sensors.kitchen arrives on dash.kitchen, "
            f"{info.state.last_seq} reading(s) stored.")


@exercise("21.3", "an interest stream NOTIFY emptied by its two durables")
def notify(lab) -> str:
    info = _stream(lab, "NOTIFY", "notify.>", "interest")
    _durable(lab, "NOTIFY", "sms", None)
    _durable(lab, "NOTIFY", "push", None)
    last = info.state.last_seq
    if last < 3:
        raise NotYet(f"{last} notification(s) were published to NOTIFY; publish three after "
                     "creating both consumers.")
    lab.flush()
    owing = {}
    for name in ("sms", "push"):
        c = lab.consumer_info("NOTIFY", name)
        if c.num_pending or c.num_ack_pending:
            owing[name] = c.num_pending + c.num_ack_pending
    stored = lab.stream_info("NOTIFY").state.messages
    if owing:
        who = ", ".join(f"{n} still owes {k}" for n, k in owing.items())
        raise NotYet(f"NOTIFY still holds {stored} message(s): {who}. A message leaves once "
                     "every consumer has acknowledged it.")
    if stored:
        raise NotYet(f"NOTIFY still holds {stored} message(s) although sms and push are done: "
                     "is another consumer still interested?")
    return f"NOTIFY is empty (last seq {last}): sms and push both acked every notification."
