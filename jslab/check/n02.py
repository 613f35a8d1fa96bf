"""Checks for 02-mental-model."""

from __future__ import annotations

from . import NotYet, exercise, require_stream


def _policy(value) -> str:
    return str(getattr(value, "value", value))


@exercise("02.1", "stream CLICKS with a replay consumer and a tail consumer")
def one_stream_two_readers(lab) -> str:
    info = require_stream(lab, "CLICKS", 'clicks.>')
    if "clicks.>" not in (info.config.subjects or []):
        raise NotYet(f"CLICKS captures {info.config.subjects}; it should capture 'clicks.>'.")
    if info.state.messages < 4:
        raise NotYet(f"CLICKS holds {info.state.messages} messages; publish at least 4.")
    consumers = lab.consumer_names("CLICKS")
    for name, policy in (("replay", "all"), ("tail", "new")):
        if name not in consumers:
            raise NotYet(f"add a durable consumer {name!r} on CLICKS "
                         f"(deliver_policy={policy!r}).")
        actual = _policy(lab.consumer_info("CLICKS", name).config.deliver_policy)
        if actual != policy:
            raise NotYet(f"consumer {name!r} starts with deliver_policy={actual!r}; "
                         f"it should be {policy!r}.")
    return "CLICKS has 'replay' (from the first message) and 'tail' (new messages only)."


@exercise("02.2", "answer requests on text.upper with the upper-cased text")
def core_service(lab) -> str:
    from ..errors import JslabError

    probe = "jetstream keeps, core delivers"
    try:
        reply = lab.request("text.upper", probe, timeout=0.5)
    except JslabError:
        raise NotYet("no one answered a request on 'text.upper': "
                     "lab.respond('text.upper', handler) and leave it running.") from None
    if reply.data != probe.upper():
        raise NotYet(f"asked {probe!r}, got {reply.data!r}; reply with the text in upper case.")
    return f"'text.upper' answered {reply.data!r}."
