"""Checks for 07-start-and-replay.

    >>> jslab.check.ex("07.1", lab)
    ✓ 07.1 passed: latest delivers the last message of each of 2 subjects.
"""

from __future__ import annotations

from . import NotYet, exercise


def _value(enum_or_str) -> str:
    return getattr(enum_or_str, "value", enum_or_str)


def _metrics_consumer(lab, name: str):
    if "METRICS" not in lab.stream_names():
        raise NotYet("there is no stream METRICS yet: create it on metrics.> and publish the "
                     "readings first.")
    if name not in lab.consumer_names("METRICS"):
        raise NotYet(f"there is no consumer {name!r} on METRICS yet.")
    return lab.consumer_info("METRICS", name)


@exercise("07.1", "a consumer that delivers the latest message of each subject")
def latest(lab) -> str:
    if "METRICS" in lab.stream_names():
        subjects = lab.stream_info("METRICS", subjects_filter=">").state.subjects or {}
        for s in ("metrics.cpu", "metrics.mem"):
            if subjects.get(s, 0) < 2:
                raise NotYet(f"METRICS holds {subjects.get(s, 0)} messages on {s}; publish at "
                             "least two readings to metrics.cpu and to metrics.mem.")
    info = _metrics_consumer(lab, "latest")
    policy = _value(info.config.deliver_policy)
    if policy == "last":
        raise NotYet("latest uses deliver_policy='last': that is one message for the whole "
                     "stream, not one per subject (compare the rows 'last' and 'per-subject' "
                     "above). The deliver policy is fixed: delete the consumer and create it "
                     "again.")
    if policy != "last_per_subject":
        raise NotYet(f"latest uses deliver_policy={policy!r}, which starts elsewhere; the "
                     "latest message of each subject has a deliver policy of its own (it also "
                     "needs a filter). The deliver policy is fixed: delete the consumer and "
                     "create it again.")
    return "latest delivers the last message of each of 2 subjects."


@exercise("07.2", "a consumer from sequence 5 replaying at the original pace")
def from5(lab) -> str:
    info = _metrics_consumer(lab, "from5")
    policy = _value(info.config.deliver_policy)
    if policy != "by_start_sequence" or info.config.opt_start_seq != 5:
        raise NotYet(f"from5 uses deliver_policy={policy!r}, opt_start_seq="
                     f"{info.config.opt_start_seq}; it should start at stream sequence 5 "
                     "(a start sequence needs its matching deliver policy, error 10094).")
    replay = _value(info.config.replay_policy)
    if replay != "original":
        raise NotYet(f"from5 replays {replay!r} (as fast as it can); it should replay at "
                     "the original pace, with the gaps the messages were published with. The "
                     "replay policy is fixed at creation: delete the consumer and create it "
                     "again.")
    return "from5 starts at sequence 5 and replays at the original pace."
