"""Checks for 09-pull-and-push.

    >>> jslab.check.ex("09.1", lab)
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise


def _stream(lab, name: str, subject: str):
    try:
        return lab.stream_info(name)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: the exercise starts with a stream that "
                     f"captures {subject}.") from None


def _consumer(lab, stream: str, name: str, what: str):
    if name not in lab.consumer_names(stream):
        raise NotYet(f"{stream} has no consumer {name} yet: {what}")
    return lab.consumer_info(stream, name)


def _pull(ci, name: str) -> None:
    if ci.config.deliver_subject:
        raise NotYet(f"{name} has a deliver subject, so the server pushes to it; a pull consumer "
                     "has none and sends only what a fetch asks for.")


def _all_acked(info, ci, name: str, expected: int, how: str) -> None:
    if info.state.messages < expected:
        raise NotYet(f"{info.config.name} holds {info.state.messages} messages; publish "
                     f"{expected}.")
    if ci.ack_floor.stream_seq < info.state.last_seq or ci.num_ack_pending:
        raise NotYet(f"{name} has acknowledged up to sequence {ci.ack_floor.stream_seq} of "
                     f"{info.state.last_seq} ({ci.num_ack_pending} awaiting an ack): {how}")


@exercise("09.1", "process 10 messages with a pull consumer, 4 at a time")
def pull_batches(lab) -> str:
    info = _stream(lab, "EX_PULL", "ex.pull")
    ci = _consumer(lab, "EX_PULL", "batcher", "a durable pull consumer reads it.")
    _pull(ci, "batcher")
    _all_acked(info, ci, "batcher", 10, "keep asking for batches of 4 and acknowledging each, "
               "until a fetch comes back empty.")
    return f"batcher pulled and acknowledged all {info.state.messages} messages."


@exercise("09.2", "a push consumer with a deliver subject, flow control and heartbeats")
def push_consumer(lab) -> str:
    _stream(lab, "EX_PUSH", "ex.push.>")
    ci = _consumer(lab, "EX_PUSH", "alerts",
                   "a durable consumer that the server pushes messages from.")
    cfg = ci.config
    if cfg.deliver_subject != "ex.alerts.inbox":
        where = cfg.deliver_subject or "no subject (it is a pull consumer)"
        raise NotYet(f"alerts delivers to {where}; a push consumer sends every message to the "
                     "subject it is given, here ex.alerts.inbox.")
    if not cfg.flow_control:
        raise NotYet("alerts has no flow control: the server should stop now and then and wait "
                     "for the client to confirm that it keeps up.")
    if not cfg.idle_heartbeat or round(cfg.idle_heartbeat, 3) != 1.0:
        shown = f"{cfg.idle_heartbeat:g} s" if cfg.idle_heartbeat else "not set"
        raise NotYet(f"alerts' idle heartbeat is {shown}; the server should say it is alive after "
                     "every second of silence.")
    return "alerts pushes to ex.alerts.inbox with flow control and a heartbeat every second."


@exercise("09.3", "process 20 messages continuously with two worker threads")
def consume_all(lab) -> str:
    info = _stream(lab, "EX_WORK", "ex.work")
    ci = _consumer(lab, "EX_WORK", "counter", "a durable pull consumer reads it.")
    _pull(ci, "counter")
    _all_acked(info, ci, "counter", 20, "let the background consumption run until it has "
               "processed every message (a failed one comes back), then stop it.")
    return f"counter processed and acknowledged all {info.state.messages} messages."
