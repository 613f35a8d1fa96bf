"""Checks for 91-consumer-configuration.

    >>> jslab.check.ex("91.1", lab)
    ✓ 91.1 passed: payments reads orders.paid, retries after 2s, 10s, 1m, ...
"""

from __future__ import annotations

from ..errors import ConsumerNotFoundError, StreamNotFoundError
from . import NotYet, exercise

_NS = 1_000_000_000


def _consumer(lab, stream: str, name: str, what: str) -> dict:
    """The consumer's info exactly as the server reports it."""
    try:
        return lab.api(f"CONSUMER.INFO.{stream}.{name}")
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {stream}: run the notebook's cells above first.") \
            from None
    except ConsumerNotFoundError:
        raise NotYet(f"{stream} has no consumer {name!r} yet: create it as a durable that "
                     f"{what}.") from None


@exercise("91.1", "a reliable pull worker: filter, backoff, max_deliver, max_ack_pending")
def payments(lab) -> str:
    cfg = _consumer(lab, "ORDERS", "payments", "reads only orders.paid")["config"]
    if "deliver_subject" in cfg:
        raise NotYet("payments is a push consumer (it has a deliver subject); a worker pulls.")
    filters = [f for f in [cfg.get("filter_subject"), *cfg.get("filter_subjects", [])] if f]
    if filters != ["orders.paid"]:
        raise NotYet(f"payments filters on {filters or 'nothing'}; it should read orders.paid "
                     "only.")
    if cfg.get("ack_policy") != "explicit":
        raise NotYet(f"payments has ack_policy {cfg.get('ack_policy')!r}: a reliable worker "
                     "acks each message (the ack policy is fixed at create: recreate it).")
    backoff = [b / _NS for b in cfg.get("backoff", [])]
    if backoff != [2, 10, 60]:
        raise NotYet(f"payments retries after {backoff or 'ack_wait each time'} s; the retry "
                     "schedule should be 2, 10 and 60 seconds (section 'backoff').")
    if cfg.get("max_deliver") != 5:
        raise NotYet(f"payments delivers a message at most {cfg.get('max_deliver')} times "
                     "(-1: no limit); it should give up after 5.")
    if cfg.get("max_ack_pending") != 20:
        raise NotYet(f"payments may have {cfg.get('max_ack_pending')} messages in flight; the "
                     "cap should be 20.")
    return (f"payments reads orders.paid, retries after 2 s, 10 s and 60 s, gives up after 5 "
            f"deliveries, at most 20 in flight; its ack_wait is {cfg['ack_wait'] / _NS:g} s "
            "(the first backoff value).")


@exercise("91.2", "a partitioned worker that processed its whole partition")
def partition(lab) -> str:
    info = _consumer(lab, "ORDERS", "region-ap-2", "works the ap region")
    cfg = info["config"]
    filters = [f for f in [cfg.get("filter_subject"), *cfg.get("filter_subjects", [])] if f]
    if filters not in (["orders.ap.>"], ["orders.ap.*"]):
        raise NotYet(f"region-ap-2 filters on {filters or 'nothing'}; its partition is every "
                     "subject of the ap region.")
    if cfg.get("deliver_policy") != "all":
        raise NotYet(f"region-ap-2 starts with deliver_policy {cfg.get('deliver_policy')!r}; "
                     "it should start at the partition's first message (fixed at create: "
                     "recreate it).")
    lab.flush()
    info = lab.api("CONSUMER.INFO.ORDERS.region-ap-2")
    done = info["ack_floor"]["consumer_seq"]
    if info["num_pending"] or info["num_ack_pending"] or not done:
        raise NotYet(f"region-ap-2 has acked {done} order(s); {info['num_pending']} are not "
                     f"delivered yet and {info['num_ack_pending']} await their ack.")
    return f"region-ap-2 processed the {done} orders of the ap region, nothing left."
