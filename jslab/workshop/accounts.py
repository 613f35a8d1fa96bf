"""A workshop's server configuration: one JetStream account per participant.

    >>> ws = create_workshop("workshop", participants=30, host="192.168.1.20")
    >>> ws.config_path, ws.participants[0].user          # workshop/workshop.conf, 'p01'

Every participant gets an account of their own (``p01`` … ``pNN``), so the notebooks run
unchanged with the same stream names and nobody sees anyone else's streams. A facilitator user
in the system account observes every account. The folder holds the configuration, the
participants sheet (markdown and CSV) and ``workshop.json`` (what ``jslab workshop status``
reads); every file holds passwords and is written readable by its owner only (0600).
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
import secrets
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .._binary import ServerConfigError, checked_binary
from ..server import _hostport, _write_private

__all__ = [
    "FACILITATOR",
    "MAX_PARTICIPANTS",
    "SERVER_NAME",
    "SYSTEM_ACCOUNT",
    "Limits",
    "Participant",
    "Workshop",
    "check_config",
    "create_workshop",
    "load_workshop",
]

SERVER_NAME = "jslab-workshop"  # jslab.start() resets accounts only on servers named jslab*
FACILITATOR = "facilitator"
SYSTEM_ACCOUNT = "SYS"
MAX_PARTICIPANTS = 500
CONFIG_FILE = "workshop.conf"
SPEC_FILE = "workshop.json"
SHEET_MD = "participants.md"
SHEET_CSV = "participants.csv"

_SIZE = re.compile(r"^(\d+)([KMGT]?)$")
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}  # as nats-server reads them


def size_bytes(label: str, text: str) -> int:
    """``"64M"`` -> 64_000_000 (nats-server's units are powers of 1000); checks the form."""
    m = _SIZE.match(str(text).strip().upper())
    if not m or int(m.group(1)) == 0:
        raise ServerConfigError(f"{label} is a size like 64M or 1G, not {text!r}.")
    return int(m.group(1)) * _UNITS[m.group(2)]


def _decimal_size(n: float) -> str:
    for unit, factor in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= factor:
            return f"{n / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{int(n)} B"


@dataclass(frozen=True)
class Limits:
    """JetStream limits of each participant's account (the server reserves memory and disk)."""

    max_mem: str = "64M"
    max_file: str = "256M"
    max_streams: int = 50
    max_consumers: int = 200

    def __post_init__(self) -> None:
        for label in ("max_mem", "max_file"):
            size_bytes(label, getattr(self, label))
            object.__setattr__(self, label, str(getattr(self, label)).strip().upper())
        for label in ("max_streams", "max_consumers"):
            value = getattr(self, label)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ServerConfigError(f"{label} is a count of 1 or more, not {value!r}.")

    def config_block(self) -> str:
        return (f"jetstream: {{ max_mem: {self.max_mem}, max_file: {self.max_file}, "
                f"max_streams: {self.max_streams}, max_consumers: {self.max_consumers} }}")

    def reserved(self, accounts: int) -> str:
        """What the server reserves for ``accounts`` accounts, in words."""
        mem = size_bytes("max_mem", self.max_mem) * accounts
        disk = size_bytes("max_file", self.max_file) * accounts
        return f"{_decimal_size(mem)} of memory and {_decimal_size(disk)} of disk"


@dataclass(frozen=True)
class Participant:
    """One seat: its account and user are both ``name`` (``p01``)."""

    name: str
    password: str = field(repr=False)

    @property
    def user(self) -> str:
        return self.name

    @property
    def account(self) -> str:
        return self.name


@dataclass(frozen=True)
class Workshop:
    """A generated workshop folder: the participants, the facilitator, the server's address.

        >>> ws = load_workshop("workshop")            # the folder, or its workshop.conf
        >>> ws.url, ws.participants[0].user     # 'nats://192.168.1.20:4222', 'p01'
    """

    folder: Path
    host: str
    port: int
    monitor_port: int
    participants: tuple[Participant, ...]
    facilitator_password: str = field(repr=False)
    limits: Limits = Limits()
    created: str = ""

    # -- where things are -----------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.folder / CONFIG_FILE

    @property
    def spec_path(self) -> Path:
        return self.folder / SPEC_FILE

    @property
    def sheet_md(self) -> Path:
        return self.folder / SHEET_MD

    @property
    def sheet_csv(self) -> Path:
        return self.folder / SHEET_CSV

    @property
    def url(self) -> str:
        """What participants connect to: ``nats://<host given to init>:<port>``."""
        return f"nats://{_hostport(self.host, self.port)}"

    @property
    def local_url(self) -> str:
        """The same server from the machine it runs on."""
        return f"nats://127.0.0.1:{self.port}"

    @property
    def facilitator(self) -> dict[str, str]:
        """Keyword arguments to log in as the facilitator: ``connect(url, **ws.facilitator)``."""
        return {"user": FACILITATOR, "password": self.facilitator_password}

    def participant(self, name: str) -> Participant:
        for p in self.participants:
            if p.name == name:
                return p
        last = self.participants[-1].name
        raise KeyError(f"no participant {name!r} in this workshop ({self.participants[0].name}.."
                       f"{last})")

    def credentials(self, name: str) -> dict[str, str]:
        """Keyword arguments to log in as participant ``name``."""
        p = self.participant(name)
        return {"user": p.user, "password": p.password}

    # -- the files ------------------------------------------------------------------------

    def config_text(self) -> str:
        q = json.dumps
        n = len(self.participants)
        lines = [
            f"# jslab workshop server: {n} participant accounts "
            f"({self.participants[0].name}..{self.participants[-1].name}) and a facilitator.",
            f"# Written by `jslab workshop init` ({self.created}). It holds passwords: keep it "
            "private (0600).",
            "#",
            f"#   jslab server --config {CONFIG_FILE} --host 0.0.0.0",
            "#",
            "# runs it with the bundled nats-server (the JetStream store goes to store/ beside "
            "this file);",
            f"# plain nats-server: nats-server -c {CONFIG_FILE} -a 0.0.0.0 -sd DIR",
            "",
            f"server_name: {q(SERVER_NAME)}",
            "# --host/--port of jslab server (-a/-p of nats-server) override the address",
            f"listen: {q(_hostport('127.0.0.1', self.port))}",
            "# monitoring has no authentication: it stays on this machine",
            f"http: {q(_hostport('127.0.0.1', self.monitor_port))}",
            "jetstream {}",
            "",
            "# the facilitator observes every account through the system account ($SYS requests)",
            f"system_account: {SYSTEM_ACCOUNT}",
            "",
            "accounts {",
            f"  {SYSTEM_ACCOUNT} {{",
            f"    users: [ {{user: {q(FACILITATOR)}, password: {q(self.facilitator_password)}}} ]",
            "  }",
        ]
        for p in self.participants:
            lines += [
                f"  {p.account} {{",
                f"    {self.limits.config_block()}",
                f"    users: [ {{user: {q(p.user)}, password: {q(p.password)}}} ]",
                "  }",
            ]
        lines.append("}")
        return "\n".join(lines) + "\n"

    def sheet_markdown(self) -> str:
        url = self.url
        lines = [
            "# JetStream workshop: participants",
            "",
            f"Server: `{url}`. Each participant has an account of their own: the same stream "
            "names for everyone, and nobody sees anyone else's streams.",
            "",
            "Hand each participant one card. In a terminal, before `jslab lab` (or `make lab`), "
            "they run the line on their card; every notebook then uses the workshop server "
            "(`jslab.start()` connects to it and empties the participant's account first).",
            "",
            "| Participant | URL | User | Password |",
            "|---|---|---|---|",
        ]
        lines += [f"| {p.name} | {url} | {p.user} | {p.password} |" for p in self.participants]
        lines.append("")
        for p in self.participants:
            lines += [
                f"## {p.name}",
                "",
                "```bash",
                f"export NATS_URL={url} NATS_USER={p.user} NATS_PASSWORD={p.password}",
                "```",
                "",
            ]
        return "\n".join(lines)

    def sheet_rows(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["participant", "url", "user", "password"])
        for p in self.participants:
            writer.writerow([p.name, self.url, p.user, p.password])
        return buf.getvalue()

    def spec(self) -> dict:
        return {
            "format": 1,
            "created": self.created,
            "server_name": SERVER_NAME,
            "host": self.host,
            "port": self.port,
            "monitor_port": self.monitor_port,
            "limits": {"max_mem": self.limits.max_mem, "max_file": self.limits.max_file,
                       "max_streams": self.limits.max_streams,
                       "max_consumers": self.limits.max_consumers},
            "facilitator": {"user": FACILITATOR, "password": self.facilitator_password},
            "participants": [{"name": p.name, "user": p.user, "password": p.password}
                             for p in self.participants],
        }

    def write(self) -> None:
        """Write the four files, each readable by its owner only."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        _write_private(self.config_path, self.config_text())
        _write_private(self.sheet_md, self.sheet_markdown())
        _write_private(self.sheet_csv, self.sheet_rows())
        _write_private(self.spec_path, json.dumps(self.spec(), indent=2) + "\n")


def _seat_names(n: int) -> list[str]:
    width = max(2, len(str(n)))
    return [f"p{i:0{width}d}" for i in range(1, n + 1)]


def _count(label: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ServerConfigError(f"{label} is a number from {lo} to {hi}, not {value!r}.")
    return value


def create_workshop(folder: str | os.PathLike, participants: int, *, host: str | None = None,
                    port: int = 4222, monitor_port: int = 8222, limits: Limits | None = None,
                    overwrite: bool = False) -> Workshop:
    """Generate and write a workshop for ``participants`` people into ``folder``.

        >>> ws = create_workshop("workshop", 30, host="192.168.1.20")

    ``host`` is the address participants reach this machine by (default: its hostname); it
    only goes into the sheet. An existing workshop is kept unless ``overwrite=True``: new
    passwords would lock out everyone who has the old sheet.
    """
    n = _count("participants", participants, 1, MAX_PARTICIPANTS)
    port = _count("port", port, 1, 65535)
    monitor_port = _count("monitor_port", monitor_port, 1, 65535)
    if port == monitor_port:
        raise ServerConfigError(f"port and monitor_port must differ (both {port}).")
    host = (host or socket.gethostname()).strip()
    if not host or any(c.isspace() or c in "/@" for c in host):
        raise ServerConfigError(f"host is an address or name participants can reach, "
                                f"not {host!r}.")
    folder = Path(folder)
    if (folder / CONFIG_FILE).exists() and not overwrite:
        raise ServerConfigError(
            f"{folder / CONFIG_FILE} exists already: its participants have their passwords. "
            "Keep it, or pass --force (overwrite=True) to generate new passwords for everyone."
        )
    ws = Workshop(
        folder=folder,
        host=host,
        port=port,
        monitor_port=monitor_port,
        participants=tuple(Participant(name, secrets.token_urlsafe(12))
                           for name in _seat_names(n)),
        facilitator_password=secrets.token_urlsafe(18),
        limits=limits or Limits(),
        created=_dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
    )
    ws.write()
    return ws


def load_workshop(path: str | os.PathLike) -> Workshop:
    """Read a generated workshop: its folder, its ``workshop.conf`` or its ``workshop.json``."""
    path = Path(path)
    spec_path = path / SPEC_FILE if path.is_dir() else path.with_name(SPEC_FILE)
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        limits = Limits(**spec["limits"])
        return Workshop(
            folder=spec_path.parent,
            host=spec["host"],
            port=int(spec["port"]),
            monitor_port=int(spec["monitor_port"]),
            participants=tuple(Participant(p["name"], p["password"])
                               for p in spec["participants"]),
            facilitator_password=spec["facilitator"]["password"],
            limits=limits,
            created=spec.get("created", ""),
        )
    except FileNotFoundError:
        raise ServerConfigError(
            f"no {SPEC_FILE} beside {path}: give the folder (or its {CONFIG_FILE}) that "
            "`jslab workshop init --out DIR` wrote."
        ) from None
    except (ValueError, KeyError, TypeError) as e:
        raise ServerConfigError(f"{spec_path} is not a workshop written by jslab workshop "
                                f"init ({type(e).__name__}: {e}).") from None


def check_config(path: str | os.PathLike, binary: str | os.PathLike | None = None) -> str:
    """``nats-server -t -c path`` with the bundled binary: its verdict, or ServerConfigError."""
    exe, _version = checked_binary(binary)
    out = subprocess.run([exe, "-t", "-c", str(path)], capture_output=True, text=True,
                         timeout=30, stdin=subprocess.DEVNULL)
    text = (out.stdout + out.stderr).strip()
    if out.returncode != 0:
        raise ServerConfigError(f"nats-server refuses the configuration {path}: {text}")
    return text
