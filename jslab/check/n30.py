"""Checks for 30-gotchas.

    >>> jslab.check.ex("30.1", lab)
    ✓ 30.1 passed: REPORTS/monthly is durable and removes itself after 3600 s without a client.
"""

from __future__ import annotations

from . import NotYet, exercise, require_retention

_RETENTION = {
    "limits": "the default retention (section 'Gotcha 2')",
    "workqueue": "the retention that removes a message once it is acked (section 'Gotcha 1')",
}


def _stream(lab, name: str, subjects: str, retention: str = "limits"):
    return require_retention(lab, name, subjects, retention, _RETENTION[retention])


def _consumer(lab, stream: str, name: str, how: str):
    if name not in lab.consumer_names(stream):
        raise NotYet(f"{stream} has no consumer {name!r} yet: add {how}.")
    return lab.consumer_info(stream, name)


@exercise("30.1", "a durable REPORTS/monthly that removes itself after an hour")
def monthly(lab) -> str:
    _stream(lab, "REPORTS", "reports.>")
    info = _consumer(lab, "REPORTS", "monthly", "a durable consumer")
    if not info.config.durable_name:
        raise NotYet("monthly is not durable: give it a durable name, so it is meant to outlive "
                     "the client that created it (section 'Gotcha 2').")
    threshold = info.config.inactive_threshold or 0
    if not threshold:
        raise NotYet("monthly has no inactivity threshold, so it stays until someone deletes "
                     "it: let the server remove it after an hour without a client "
                     "(section 'Gotcha 2').")
    if round(threshold) != 3600:
        raise NotYet(f"monthly removes itself after {threshold:g} s without a client; the "
                     "exercise asks for one hour. Change it on the existing consumer.")
    return "REPORTS/monthly is durable and removes itself after 3600 s without a client."


@exercise("30.2", "a work queue RENDER whose consumer lets eight workers run at once")
def render(lab) -> str:
    info = _stream(lab, "RENDER", "render.>", "workqueue")
    cons = _consumer(lab, "RENDER", "renderers", "one consumer for all the workers")
    limit = cons.config.max_ack_pending
    if limit is not None and 0 < limit < 8:
        raise NotYet(f"renderers lets only {limit} message(s) be unacknowledged at once, so at "
                     "most that many of eight workers are busy (section 'Gotcha 4'). Change it "
                     "on the existing consumer.")
    lab.flush()
    cons = lab.consumer_info("RENDER", "renderers")
    done = cons.ack_floor.stream_seq
    published = info.state.last_seq
    if published < 16:
        raise NotYet(f"RENDER has received {published} job(s); publish 16 to render.frame.")
    if info.state.messages or cons.num_ack_pending:
        left = lab.stream_info("RENDER").state.messages
        raise NotYet(f"RENDER still holds {left} job(s) ({cons.num_ack_pending} delivered but "
                     "not acked): let eight worker threads process them all.")
    return (f"RENDER is empty: renderers processed all {done} jobs with up to "
            f"{limit} in flight.")


@exercise("30.3", "a stream CHARGES whose duplicate window covers ten minutes of retries")
def charges(lab) -> str:
    info = _stream(lab, "CHARGES", "charges.>")
    window = info.config.duplicate_window or 0
    if round(window) != 600:
        raise NotYet(f"CHARGES remembers message ids for {window:g} s; retries go on for ten "
                     "minutes, so the window must be that long (section 'Gotcha 5').")
    stored = info.state.messages
    if not stored:
        raise NotYet("CHARGES holds nothing yet: publish charge-1 to charges.card, twice, each "
                     "time with the same message id.")
    if stored > 1:
        raise NotYet(f"CHARGES stored {stored} messages: the second publish counts as a retry "
                     "only when it carries the same message id as the first.")
    msg = lab.get_msg("CHARGES", info.state.last_seq)
    msg_id = (msg.headers or {}).get("Nats-Msg-Id")
    if msg_id != "charge-1":
        raise NotYet(f"the stored charge has message id {msg_id!r}, not 'charge-1'.")
    return "CHARGES stored charge-1 once; its window covers 600 s of retries."
