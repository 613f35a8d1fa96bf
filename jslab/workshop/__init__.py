"""Run a JetStream workshop from this kit: one shared server, an account per participant.

    $ jslab workshop init --participants 30 --out workshop --host 192.168.1.20
    $ jslab server --config workshop/workshop.conf --host 0.0.0.0
    $ jslab workshop status --config workshop/workshop.conf

In Python: ``create_workshop`` / ``load_workshop`` (the generated folder), ``ConfiguredServer``
(runs a configuration file with the bundled binary), ``ProgressBoard`` (the facilitator's
table, also as a live widget).
"""

from __future__ import annotations

from .accounts import (
    FACILITATOR,
    SERVER_NAME,
    SYSTEM_ACCOUNT,
    Limits,
    Participant,
    Workshop,
    check_config,
    create_workshop,
    load_workshop,
)
from .board import LiveBoard, ParticipantRow, ProgressBoard, ProgressTable
from .configured import ConfiguredServer, anonymous_refused

__all__ = [
    "FACILITATOR",
    "SERVER_NAME",
    "SYSTEM_ACCOUNT",
    "ConfiguredServer",
    "Limits",
    "LiveBoard",
    "Participant",
    "ParticipantRow",
    "ProgressBoard",
    "ProgressTable",
    "Workshop",
    "anonymous_refused",
    "check_config",
    "create_workshop",
    "load_workshop",
]
