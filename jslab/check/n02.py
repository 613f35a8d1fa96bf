"""Checks for 02-mental-model."""

from __future__ import annotations

from . import NotYet, exercise


def _policy(value) -> str:
    return str(getattr(value, "value", value))


def _clicks(lab):
    from ..errors import StreamNotFoundError

    try:
        return lab.stream_info("CLICKS")
    except StreamNotFoundError:
        raise NotYet("there is no stream CLICKS yet: create it, capturing every subject that "
                     "starts with 'clicks.'.") from None


_START = {"all": "reads from the first message",
          "new": "only gets messages published after it was created"}


@exercise("02.1", "stream CLICKS with a replay consumer and a tail consumer")
def one_stream_two_readers(lab) -> str:
    info = _clicks(lab)
    if "clicks.>" not in (info.config.subjects or []):
        raise NotYet(f"CLICKS captures {info.config.subjects}; it should capture 'clicks.>' "
                     "('>' takes one or more tokens).")
    if info.state.messages < 4:
        raise NotYet(f"CLICKS holds {info.state.messages} messages; publish at least 4.")
    consumers = lab.consumer_names("CLICKS")
    found = {}
    for name, policy in (("replay", "all"), ("tail", "new")):
        if name not in consumers:
            raise NotYet(f"add a durable consumer {name!r} on CLICKS that {_START[policy]}.")
        ci = lab.consumer_info("CLICKS", name)
        actual = _policy(ci.config.deliver_policy)
        if actual != policy:
            raise NotYet(f"consumer {name!r} starts with deliver policy {actual!r}; it should "
                         f"be {policy!r}: it {_START[policy]}. A consumer's start point is "
                         "fixed when it is created, so delete it and add it again.")
        found[name] = ci.num_pending
    return (f"CLICKS has 'replay' (from the first message, {found['replay']} unprocessed) and "
            f"'tail' (new messages only, {found['tail']} unprocessed).")


@exercise("02.2", "answer requests on text.upper with the upper-cased text")
def core_service(lab) -> str:
    from ..errors import JslabError

    probe = "jetstream keeps, core delivers"
    try:
        reply = lab.request("text.upper", probe, timeout=0.5)
    except JslabError:
        raise NotYet("no one answered a request on 'text.upper': start a responder on that "
                     "subject and leave it running (core NATS keeps nothing for later).") from None
    if reply.data != probe.upper():
        raise NotYet(f"asked {probe!r}, got {reply.data!r}; reply with the text in upper case.")
    return f"'text.upper' answered {reply.data!r}."


def scatter_gather(lab, subject: str, data: bytes = b"", *, wait: float = 2.0,
                   quiet: float = 0.5) -> list:
    """Publish one request with a reply subject and collect every reply: all that arrive
    until none came for ``quiet`` seconds (at most ``wait`` for the first). With no subscriber
    at all, the server's only answer is a "503 no responders" status, which is not a reply."""
    inbox = lab.nc.new_inbox()
    replies = lab.subscribe_core(inbox)
    try:
        lab.loop.call(lab.nc.publish(subject, data, reply=inbox), lab.timeout)
        got = replies.fetch(100, timeout=wait, gap=quiet)
    finally:
        replies.unsubscribe()
    return [m for m in got if not (m.headers or {}).get("Status")]


@exercise("02.3", "two instances on status.ping both answer one scatter-gather request")
def every_instance_answers(lab) -> str:
    answers = scatter_gather(lab, "status.ping", b"who is alive?")
    if not answers:
        raise NotYet("no one answered on 'status.ping': start the instances that answer "
                     "requests there, and leave them running.")
    if len(answers) == 1:
        raise NotYet("one reply came back: either one instance is running, or the instances "
                     "share a queue group, which hands each message to one member only.")
    names = sorted(str(m.data) for m in answers)
    if len(set(names)) < 2:
        raise NotYet(f"{len(answers)} replies, all {names[0]!r}: each instance should answer "
                     "with its own name, so you can tell who is alive.")
    return f"{len(answers)} instances answered one request on 'status.ping': {names}."
