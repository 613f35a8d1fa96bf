"""Checks for 93-from-go.

    >>> jslab.check.ex("93.1", lab)
    ✓ 93.1 passed: PAYMENTS holds pay-1, pay-2, pay-3 once each (seq 1..3) and the refund at 4,
    stored only because the last sequence was 3.
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise

_ID = "Nats-Msg-Id"
_EXPECT = "Nats-Expected-Last-Sequence"


def _payments(lab, for_what: str = ""):
    try:
        return lab.stream_info("PAYMENTS", subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet(f"there is no stream PAYMENTS yet{for_what}: it captures payments.> "
                     "(Go: CreateStream; section 'Streams').") from None


@exercise("93.1", "a Go publisher ported: message ids and an expected last sequence")
def payments(lab) -> str:
    info = _payments(lab)
    if list(info.config.subjects or []) != ["payments.>"]:
        raise NotYet(f"PAYMENTS captures {info.config.subjects}; the Go code gives it one "
                     "subject, payments.>. Delete the stream and create it again.")
    subjects = info.state.subjects or {}
    cards = [lab.get_msg("PAYMENTS", int(seq)) for seq in
             lab.messages("PAYMENTS", subject="payments.card")["seq"]]
    ids = [(m.headers or {}).get(_ID) for m in cards]
    if len(cards) < 3:
        raise NotYet(f"payments.card holds {len(cards)} message(s); the loop publishes pay-1, "
                     "pay-2, pay-3 and a retry of pay-2.")
    if None in ids:
        raise NotYet("a card payment was published without a message id: WithMsgID is the "
                     "Nats-Msg-Id header (section 'Publishing'). Delete the stream and start "
                     "over.")
    if len(cards) > 3 or sorted(ids) != ["pay-1", "pay-2", "pay-3"]:
        raise NotYet(f"payments.card holds {ids}: the retry of pay-2 should be answered as a "
                     "duplicate and not stored. Delete the stream and start over.")
    if "payments.refund" not in subjects:
        raise NotYet("there is no refund yet: publish it on payments.refund with the "
                     "expectation that the stream's last sequence is 3.")
    refund = lab.get_msg("PAYMENTS", subject="payments.refund")
    expected = (refund.headers or {}).get(_EXPECT)
    if expected is None:
        raise NotYet("the refund was published without an expected last sequence: "
                     "WithExpectLastSequence is a header (section 'Publishing').")
    return (f"PAYMENTS holds {', '.join(ids)} once each (seq {cards[0].seq}..{cards[-1].seq}) and "
            f"the refund at {refund.seq}, stored only because the last sequence was {expected}.")


@exercise("93.2", "a Go worker ported: max_ack_pending 2 and a fetch loop")
def billing(lab) -> str:
    info = _payments(lab, " (exercise 93.1 creates it)")
    if "billing" not in lab.consumer_names("PAYMENTS"):
        raise NotYet("PAYMENTS has no consumer billing yet: Go's CreateOrUpdateConsumer is "
                     "section 'Consumers'.")
    cons = lab.consumer_info("PAYMENTS", "billing")
    if not cons.config.durable_name:
        raise NotYet("billing is not durable: the Go config sets Durable.")
    if cons.config.deliver_subject:
        raise NotYet("billing is a push consumer; the worker fetches, so it is a pull consumer "
                     "(no deliver subject). Delete it and create it again.")
    if cons.config.max_ack_pending != 2:
        raise NotYet(f"billing allows {cons.config.max_ack_pending} unacknowledged messages; "
                     "the Go config sets MaxAckPending: 2 (change it or create it again).")
    lab.flush()
    cons = lab.consumer_info("PAYMENTS", "billing")
    last = info.state.last_seq
    done = cons.ack_floor.stream_seq
    if cons.num_ack_pending:
        raise NotYet(f"billing has {cons.num_ack_pending} message(s) fetched but not acked: "
                     "the loop acks every message it fetches.")
    if cons.num_pending or done < last:
        raise NotYet(f"billing has acked up to seq {done} of {last}; the loop fetches until a "
                     "fetch brings nothing (section 'Fetch').")
    return (f"billing acked all {cons.delivered.consumer_seq} messages of PAYMENTS (up to seq "
            f"{done}), at most 2 at a time.")
