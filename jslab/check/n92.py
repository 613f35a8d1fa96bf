"""Checks for 92-from-the-nats-cli.

    >>> jslab.check.ex("92.1", lab)
    ✓ 92.1 passed: TICKETS keeps 2 of 3 tickets (seq 2..3); triage acked seq 2 and has 1 left.
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise

_OP = "KV-Operation"


@exercise("92.1", "nats stream add / pub -J --count / consumer add / consumer next, in jslab")
def tickets(lab) -> str:
    try:
        info = lab.stream_info("TICKETS", subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet("there is no stream TICKETS yet: that is `nats stream add` with its "
                     "subjects and per-subject limit (section 'Streams').") from None
    if list(info.config.subjects or []) != ["tickets.>"]:
        raise NotYet(f"TICKETS captures {info.config.subjects}; `--subjects \"tickets.>\"` is "
                     "one subject, tickets.>. Delete the stream and add it again.")
    if info.config.max_msgs_per_subject != 2:
        raise NotYet(f"TICKETS keeps {info.config.max_msgs_per_subject} message(s) per subject; "
                     "--max-msgs-per-subject 2 is a stream limit (section 'nats stream add'): "
                     "edit the stream or add it again.")
    stored = (info.state.subjects or {}).get("tickets.open", 0)
    if info.state.last_seq < 3:
        raise NotYet(f"TICKETS has received {info.state.last_seq} message(s); --count 3 publishes "
                     "three to tickets.open (section 'nats pub --count').")
    if "triage" not in lab.consumer_names("TICKETS"):
        raise NotYet("TICKETS has no consumer triage yet: that is `nats consumer add` (section "
                     "'Consumers').")
    cons = lab.consumer_info("TICKETS", "triage")
    filters = [f for f in [cons.config.filter_subject, *(cons.config.filter_subjects or [])] if f]
    if filters != ["tickets.open"]:
        raise NotYet(f"triage filters on {filters or 'nothing'}; --filter tickets.open gives "
                     "it one filter subject. Delete the consumer and add it again.")
    if cons.config.deliver_subject:
        raise NotYet("triage is a push consumer; --pull makes a pull consumer (no deliver "
                     "subject). Delete it and add it again.")
    ack = getattr(cons.config.ack_policy, "value", cons.config.ack_policy)
    if ack != "explicit":
        raise NotYet(f"triage has ack policy {ack!r}; --ack explicit is the default of a pull "
                     "consumer. Delete it and add it again.")
    lab.flush()
    cons = lab.consumer_info("TICKETS", "triage")
    if cons.delivered.consumer_seq == 0:
        raise NotYet("triage has delivered nothing yet: `nats consumer next --count 1` fetches "
                     "one message (section 'nats consumer next').")
    if cons.num_ack_pending:
        raise NotYet(f"triage has {cons.num_ack_pending} message(s) waiting for an ack: "
                     "`nats consumer next` acknowledges what it prints (without --no-ack).")
    if cons.delivered.consumer_seq > 1:
        raise NotYet(f"triage has delivered {cons.delivered.consumer_seq} messages; --count 1 "
                     "takes one. Delete the consumer and add it again.")
    first = info.state.first_seq
    return (f"TICKETS keeps {stored} of {info.state.last_seq} tickets (seq {first}.."
            f"{info.state.last_seq}); triage acked seq {cons.ack_floor.stream_seq} and has "
            f"{cons.num_pending} left.")


@exercise("92.2", "nats kv add / put / purge, in jslab")
def flags(lab) -> str:
    try:
        info = lab.stream_info("KV_flags", subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet("there is no bucket flags yet (its stream would be KV_flags): that is "
                     "`nats kv add` (section 'Key-value buckets').") from None
    if info.config.max_msgs_per_subject != 3:
        raise NotYet(f"KV_flags keeps {info.config.max_msgs_per_subject} revision(s) per key; "
                     "--history 3 is a bucket setting: delete the bucket and add it again.")
    subjects = info.state.subjects or {}
    dark = subjects.get("$KV.flags.dark_mode", 0)
    if dark < 2:
        raise NotYet(f"dark_mode has {dark} revision(s); the session puts it twice (on, off).")
    last_dark = lab.get_msg("KV_flags", subject="$KV.flags.dark_mode")
    if (last_dark.headers or {}).get(_OP) or last_dark.data != "off":
        raise NotYet(f"dark_mode reads {last_dark.data!r}; its last put is \"off\".")
    if "$KV.flags.beta" not in subjects:
        raise NotYet("the bucket has no key beta yet: put it, then purge it.")
    beta = lab.get_msg("KV_flags", subject="$KV.flags.beta")
    op = (beta.headers or {}).get(_OP, "PUT")
    if op == "DEL":
        raise NotYet("beta ends with a delete marker, which keeps its history: `kv purge` is "
                     "the other operation (section 'Key-value buckets').")
    if op != "PURGE":
        raise NotYet("beta still reads as a value: purge it (section 'Key-value buckets').")
    return (f"KV_flags holds {info.state.messages} messages: dark_mode's {dark} revisions "
            f"(last {last_dark.seq}, \"off\") and beta's purge marker.")
