"""Checks for 09-pull-and-push.

    >>> jslab.check.ex("09.1", lab)
"""

from __future__ import annotations

from . import NotYet, exercise, require_stream


def _consumer(lab, stream: str, subject: str, name: str, how: str):
    info = require_stream(lab, stream, subject)
    if name not in lab.consumer_names(stream):
        raise NotYet(f"{stream} has no consumer {name} yet: lab.add_consumer({stream!r}, "
                     f"{name!r}{how}).")
    return info, lab.consumer_info(stream, name)


@exercise("09.1", "process 10 messages with a pull consumer, 4 at a time")
def pull_batches(lab) -> str:
    info, ci = _consumer(lab, "EX_PULL", "ex.pull", "batcher", "")
    if ci.config.deliver_subject:
        raise NotYet("batcher has a deliver_subject, so it is a push consumer; create it "
                     "without one to pull from it.")
    if info.state.messages < 10:
        raise NotYet(f"EX_PULL holds {info.state.messages} messages; publish 10.")
    if ci.ack_floor.stream_seq < info.state.last_seq:
        raise NotYet(f"batcher has acknowledged up to {ci.ack_floor.stream_seq} of "
                     f"{info.state.last_seq}: keep fetching 4 at a time and acking until the "
                     "batch comes back empty.")
    return f"batcher pulled and acknowledged all {info.state.messages} messages."


@exercise("09.2", "a push consumer with a deliver subject, flow control and heartbeats")
def push_consumer(lab) -> str:
    _info, ci = _consumer(lab, "EX_PUSH", "ex.push.>", "alerts",
                          ", deliver_subject='ex.alerts.inbox', ...")
    cfg = ci.config
    if cfg.deliver_subject != "ex.alerts.inbox":
        where = cfg.deliver_subject or "nothing (it is a pull consumer)"
        raise NotYet(f"alerts delivers to {where}; set deliver_subject='ex.alerts.inbox'.")
    if not cfg.flow_control:
        raise NotYet("alerts has no flow control: flow_control=True.")
    if not cfg.idle_heartbeat or round(cfg.idle_heartbeat, 3) != 1.0:
        raise NotYet(f"alerts' idle heartbeat is {cfg.idle_heartbeat or 'not set'}; it should "
                     "be every second: idle_heartbeat=1.")
    return "alerts pushes to ex.alerts.inbox with flow control and a heartbeat every second."
