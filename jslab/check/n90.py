"""Checks for 90-stream-configuration.

    >>> jslab.check.ex("90.1", lab)
    ✓ 90.1 passed: AUDIT holds 3 events from seq 500, cannot be deleted from or purged, sealed.
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from . import NotYet, exercise

_NS = 1_000_000_000


def _config(lab, name: str, subjects: str) -> tuple[dict, dict]:
    """The stream's configuration and state exactly as the server reports them."""
    try:
        answer = lab.api(f"STREAM.INFO.{name}")
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: create it on {subjects} with the "
                     "settings the exercise lists.") from None
    return answer["config"], answer["state"]


@exercise("90.1", "an append-only audit log: first_seq, no deletes, no purges, sealed")
def audit(lab) -> str:
    cfg, state = _config(lab, "AUDIT", "audit.>")
    if cfg.get("first_seq", 1) != 500:
        raise NotYet(f"AUDIT numbers its first message {cfg.get('first_seq', 1)}; it should start "
                     "at 500. Where numbering starts is set when the stream is created: delete "
                     "it and create it again (section 'first_seq').")
    missing = [f for f in ("deny_delete", "deny_purge") if not cfg.get(f)]
    if missing:
        raise NotYet(f"AUDIT still allows what {' and '.join(missing)} would refuse: turn "
                     "them on (an update can).")
    if state["messages"] < 3:
        raise NotYet(f"AUDIT holds {state['messages']} event(s); publish three to audit.login "
                     "before closing it.")
    if not cfg.get("sealed"):
        raise NotYet(f"AUDIT holds {state['messages']} events but still takes more: it is not "
                     "sealed yet (a stream is sealed by an update, never at create).")
    return (f"AUDIT holds {state['messages']} events from seq {state['first_seq']}, cannot be "
            "deleted from or purged, and is sealed.")


@exercise("90.2", "a last-value cache: memory, one per subject, 30 s, rollups")
def quotes(lab) -> str:
    cfg, state = _config(lab, "QUOTES", "quotes.*")
    if cfg["storage"] != "memory":
        raise NotYet(f"QUOTES is stored on {cfg['storage']}; a cache lives in memory, and the "
                     "storage type cannot be updated: delete it and create it again.")
    if cfg["max_msgs_per_subject"] != 1:
        raise NotYet(f"QUOTES keeps {cfg['max_msgs_per_subject']} message(s) per subject; a "
                     "cache keeps only the latest value of each key.")
    if cfg["max_age"] != 30 * _NS:
        raise NotYet(f"QUOTES keeps messages for {cfg['max_age'] / _NS:g} s (0 is forever); "
                     "entries should expire after 30 seconds.")
    if not cfg.get("allow_rollup_hdrs"):
        raise NotYet("QUOTES does not accept rollups yet: turn on the switch for the rollup "
                     "header.")
    if state["last_seq"] < 5:
        raise NotYet(f"{state['last_seq']} quote(s) were published; publish five: three for "
                     "quotes.EUR and two for quotes.USD.")
    return (f"QUOTES holds {state['messages']} messages for {state['last_seq']} publishes, and "
            f"its duplicate window was cut to {cfg['duplicate_window'] / _NS:g} s.")
