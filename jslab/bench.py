"""Measure JetStream through a lab: publish modes, storage, message sizes, fetch batches.

One job: run benchmark cases against the server a lab is connected to (loopback only) and
return a pandas DataFrame, one row per case. Every case is bounded by a message count and a
time cap; Ctrl-C stops the run, deletes the benchmark's streams and returns what was measured.

    >>> from jslab import bench
    >>> df = bench.run(lab, plan=bench.QUICK)          # ~10 s; bench.FULL is ~60 s
    >>> bench.plot(df)                                  # a matplotlib figure of the results

Rows: ``scenario``, ``parameter``, ``messages``, ``seconds``, ``msgs/s``, ``MB/s`` (10**6
bytes of payload per second), ``round trip µs`` (mean time per call for the one-at-a-time
cases) and ``note`` (what was stored, why a case was skipped or cut short).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import arguments
from .errors import JslabError, JslabTypeError, ValidationError

__all__ = [
    "FULL",
    "QUICK",
    "SCENARIOS",
    "Plan",
    "TextProgress",
    "cluster_size",
    "plot",
    "plot_table",
    "ratios",
    "report",
    "run",
]

#: The scenarios, in the order they run.
SCENARIOS = (
    "round trip",         # lab.flush() / nc.flush(): PING and PONG, nothing stored
    "publish sync",       # lab.publish in a loop vs nats-py `await js.publish` in a loop
    "publish pipelined",  # lab.publish_many vs nats-py js.publish_async + completed
    "publish core",       # lab.publish_core (flushes each) vs nc.publish burst; count stored
    "storage",            # pipelined into a memory stream, then a file stream
    "message size",       # pipelined, 16 B .. 1 MiB, bounded total bytes per case
    "fetch batch",        # fetch_and_ack with batch 1, 10, 100, 1000
    "max_ack_pending",    # lab.consume with several slow workers, max_ack_pending varied
    "replicas",           # R1 vs R3 (needs a cluster)
)

_PREFIX = "JSLAB_BENCH_"
_SUBJECT = "jslab_bench"
_COLUMNS = ["scenario", "parameter", "messages", "seconds", "msgs/s", "MB/s", "round trip µs",
            "note"]


@dataclasses.dataclass(frozen=True)
class Plan:
    """How much each case may do: at most ``messages`` messages and ``seconds`` seconds."""

    messages: int = 20_000          # cap per pipelined / fetch case
    sync_messages: int = 5_000      # cap per one-at-a-time case (sync publish, round trip)
    seconds: float = 2.0            # time cap per case
    payload: int = 128              # bytes per message outside the message-size scenario
    size_bytes: int = 64 * 2**20    # total payload cap per message-size case
    sizes: tuple[int, ...] = (16, 256, 4096, 65536, 2**20)
    batches: tuple[int, ...] = (1, 10, 100, 1000)
    pending: tuple[int, ...] = (1, 2, 4, 8, 1000)
    workers: int = 8                # worker threads of the max_ack_pending cases
    work: float = 0.005             # seconds each worker spends per message (a sleep)
    chunk: int = 2_000              # messages per publish_many call (acks awaited per chunk)

    def __post_init__(self) -> None:
        for name in ("messages", "sync_messages", "payload", "size_bytes", "workers", "chunk"):
            arguments.count(name, getattr(self, name), minimum=1, maximum=10**9)
        arguments.seconds("seconds", self.seconds, minimum=0.01, maximum=3600)
        arguments.seconds("work", self.work, minimum=0.0, maximum=10)
        for name, lo, hi in (("sizes", 1, 2**20), ("batches", 1, 10_000),
                             ("pending", 1, 1_000_000)):
            values = getattr(self, name)
            if not isinstance(values, tuple) or not values:
                raise JslabTypeError(f"{name} is a non-empty tuple of whole numbers, "
                                     f"not {values!r}.")
            for v in values:
                arguments.count(name, v, minimum=lo, maximum=hi)

    def replace(self, **changes: Any) -> Plan:
        """A copy with some limits changed: ``bench.QUICK.replace(seconds=0.25)``."""
        return dataclasses.replace(self, **changes)


#: About 60 s in all on a quiet machine.
FULL = Plan()
#: About 10 s in all.
QUICK = Plan(messages=10_000, sync_messages=2_000, seconds=0.4, size_bytes=16 * 2**20,
             chunk=1_000)


# ------------------------------------------------------------------ progress
class TextProgress:
    """``progress(done, total, label)`` as one line: a bar redrawn with ``\\r`` on a terminal,
    one line per case elsewhere (a log, a pipe)."""

    def __init__(self, stream: Any = None, *, bar: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bar = bar if bar is not None else bool(getattr(self.stream, "isatty", lambda: 0)())
        self._width = 0

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar:
            filled = int(24 * done / max(1, total))
            line = f"bench [{'#' * filled}{'.' * (24 - filled)}] {done}/{total} {label}"
            pad = max(0, self._width - len(line))
            self._width = len(line)
            self.stream.write("\r" + line + " " * pad + ("\n" if done >= total else ""))
        else:
            self.stream.write(f"bench {done}/{total} {label}\n")
        self.stream.flush()


class _WidgetProgress:
    """An ipywidgets IntProgress, displayed once, then only its traits change."""

    def __init__(self) -> None:
        import ipywidgets
        from IPython.display import display

        self.widget = ipywidgets.IntProgress(value=0, min=0, max=1, description="bench")
        self.label = ipywidgets.Label("")
        display(ipywidgets.HBox([self.widget, self.label]))

    def __call__(self, done: int, total: int, label: str) -> None:
        self.widget.max = max(1, total)
        self.widget.value = done
        self.label.value = f"{done}/{total} {label}"
        if done >= total:
            self.widget.bar_style = "success"


def _in_kernel() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    try:
        ip = shell.get_ipython()
    except Exception:  # IPython present but not running
        return False
    return ip is not None and getattr(ip, "kernel", None) is not None


def _default_progress() -> Callable[[int, int, str], None] | None:
    if _in_kernel():
        try:
            return _WidgetProgress()
        except ImportError:
            return TextProgress(sys.stdout, bar=False)
    if getattr(sys.stderr, "isatty", lambda: False)():
        return TextProgress(sys.stderr, bar=True)
    return None


# ------------------------------------------------------------------ the lab
def _loopback_url(url: str) -> str:
    from .server import is_loopback

    for one in url.split(","):
        host = urllib.parse.urlsplit(one if "://" in one else f"nats://{one}").hostname or ""
        if not is_loopback(host):
            raise ValidationError(
                f"the benchmark measures a server on this machine only, and {one!r} is not on "
                "loopback (127.0.0.1, ::1, localhost): over a network it would measure the "
                "network. Run it on the server's machine, or use jslab.start().")
    return url


def cluster_size(lab: Any) -> int:
    """How many nodes the lab's own server has (1 for a single server or an unknown one)."""
    cluster = getattr(lab, "cluster", None)
    if isinstance(cluster, int):
        return cluster
    for holder in (cluster, getattr(lab, "server", None)):
        nodes = getattr(holder, "servers", None)
        if nodes:
            return len(nodes)
    return 1


class _Run:
    """State of one benchmark run: the lab, the plan, the streams it created, the rows."""

    def __init__(self, lab: Any, plan: Plan) -> None:
        self.lab, self.plan = lab, plan
        self.created: list[str] = []
        self.rows: list[dict] = []

    # -------------------------------------------------------------- helpers
    def stream(self, key: str, *, storage: str = "memory", replicas: int = 1) -> tuple[str, str]:
        name = f"{_PREFIX}{key.upper()}"
        subject = f"{_SUBJECT}.{key.lower()}"
        self.lab.add_stream(name, subjects=[f"{subject}.>"], storage=storage,
                            num_replicas=replicas)
        self.created.append(name)
        return name, f"{subject}.x"

    def drop(self, name: str) -> None:
        with contextlib.suppress(JslabError):
            self.lab.delete_stream(name)
        if name in self.created:
            self.created.remove(name)

    def cleanup(self) -> None:
        for name in list(self.created):
            self.drop(name)

    def row(self, scenario: str, parameter: Any, messages: int, seconds: float, *,
            limit: int, payload: int | None = None, per_call: bool = False,
            note: str = "") -> None:
        payload = self.plan.payload if payload is None else payload
        rate = messages / seconds if seconds > 0 and messages else float("nan")
        if messages < limit:
            stop = f"time cap reached ({messages:,} of {limit:,})"
            note = f"{note}; {stop}" if note else stop
        self.rows.append({
            "scenario": scenario, "parameter": str(parameter), "messages": int(messages),
            "seconds": seconds, "msgs/s": rate, "MB/s": rate * payload / 1e6,
            "round trip µs": seconds / messages * 1e6 if per_call and messages else float("nan"),
            "note": note,
        })

    def keep_fastest(self, since: int) -> None:
        """Of the rows a repeated case added since ``since``, keep the fastest."""
        runs = self.rows[since:]
        if len(runs) > 1:
            best = max(runs, key=lambda r: r["msgs/s"] if r["msgs/s"] == r["msgs/s"] else -1)
            if best["messages"]:
                best["note"] = f"{best['note']}; best of {len(runs)}".lstrip("; ")
            del self.rows[since:]
            self.rows.append(best)

    def skip(self, scenario: str, parameter: str, why: str) -> None:
        self.rows.append({"scenario": scenario, "parameter": parameter, "messages": 0,
                          "seconds": 0.0, "msgs/s": float("nan"), "MB/s": float("nan"),
                          "round trip µs": float("nan"), "note": f"skipped: {why}"})

    def deadline(self) -> float:
        return time.perf_counter() + self.plan.seconds

    def on_loop(self, coro: Any) -> Any:
        return self.lab.loop.call(coro, self.plan.seconds + 30)

    def pipelined(self, subject: str, payload: bytes, n: int, chunk: int) -> tuple[int, float]:
        """lab.publish_many in chunks until n messages or the time cap."""
        sent, t0 = 0, time.perf_counter()
        end = t0 + self.plan.seconds
        while sent < n and time.perf_counter() < end:
            k = min(chunk, n - sent)
            self.lab.publish_many(subject, [payload] * k, progress=False)
            sent += k
        return sent, time.perf_counter() - t0

    def stored(self, name: str, expect: int) -> int:
        """The stream's message count once it stops changing (core publishes land late)."""
        last, end = -1, time.perf_counter() + 2.0
        while True:
            now = self.lab.stream_info(name).state.messages
            if now >= expect or now == last or time.perf_counter() > end:
                return now
            last = now
            time.sleep(0.05)

    # -------------------------------------------------------------- scenarios
    def cases(self, scenarios: Sequence[str]) -> list[tuple[str, str, Callable[[], None]]]:
        p = self.plan
        out: list[tuple[str, str, Callable[[], None]]] = []
        add = out.append
        for sc in scenarios:
            if sc == "round trip":
                add((sc, "lab.flush", self.round_trip_kit))
                add((sc, "nats-py nc.flush", self.round_trip_raw))
            elif sc == "publish sync":
                add((sc, "lab.publish", self.sync_kit))
                add((sc, "nats-py js.publish", self.sync_raw))
            elif sc == "publish pipelined":
                add((sc, "lab.publish_many", self.pipelined_kit))
                add((sc, "nats-py publish_async", self.pipelined_raw))
            elif sc == "publish core":
                add((sc, "lab.publish_core", self.core_kit))
                add((sc, "nats-py nc.publish burst", self.core_raw))
            elif sc == "storage":
                for storage in ("memory", "file"):
                    add((sc, storage, lambda s=storage: self.storage(s)))
            elif sc == "message size":
                for size in p.sizes:
                    add((sc, _size(size), lambda s=size: self.message_size(s)))
            elif sc == "fetch batch":
                for batch in p.batches:
                    add((sc, str(batch), lambda b=batch: self.fetch_batch(b)))
            elif sc == "max_ack_pending":
                for mp in p.pending:
                    add((sc, str(mp), lambda m=mp: self.max_ack_pending(m)))
            elif sc == "replicas":
                for r in (1, 3):
                    for mode in ("sync", "pipelined"):
                        add((sc, f"R{r} {mode}", lambda r=r, m=mode: self.replicas(r, m)))
        return out

    def round_trip_kit(self) -> None:
        n, end = self.plan.sync_messages, self.deadline()
        i, t0 = 0, time.perf_counter()
        while i < n and time.perf_counter() < end:
            self.lab.flush()
            i += 1
        self.row("round trip", "lab.flush", i, time.perf_counter() - t0, limit=n, payload=0,
                 per_call=True)

    def round_trip_raw(self) -> None:
        nc, n, cap = self.lab.nc, self.plan.sync_messages, self.plan.seconds

        async def go() -> tuple[int, float]:
            i, t0 = 0, time.perf_counter()
            while i < n and time.perf_counter() - t0 < cap:
                await nc.flush()
                i += 1
            return i, time.perf_counter() - t0

        i, dt = self.on_loop(go())
        self.row("round trip", "nats-py nc.flush", i, dt, limit=n, payload=0, per_call=True)

    def sync_kit(self) -> None:
        name, subject = self.stream("sync")
        try:
            payload, n, end = b"x" * self.plan.payload, self.plan.sync_messages, self.deadline()
            i, t0 = 0, time.perf_counter()
            while i < n and time.perf_counter() < end:
                self.lab.publish(subject, payload)
                i += 1
            self.row("publish sync", "lab.publish", i, time.perf_counter() - t0, limit=n,
                     per_call=True)
        finally:
            self.drop(name)

    def sync_raw(self) -> None:
        name, subject = self.stream("sync_raw")
        js, payload = self.lab.js, b"x" * self.plan.payload
        n, cap = self.plan.sync_messages, self.plan.seconds

        async def go() -> tuple[int, float]:
            i, t0 = 0, time.perf_counter()
            while i < n and time.perf_counter() - t0 < cap:
                await js.publish(subject, payload)
                i += 1
            return i, time.perf_counter() - t0

        try:
            i, dt = self.on_loop(go())
            self.row("publish sync", "nats-py js.publish", i, dt, limit=n, per_call=True)
        finally:
            self.drop(name)

    def pipelined_kit(self) -> None:
        name, subject = self.stream("pipe")
        try:
            sent, dt = self.pipelined(subject, b"x" * self.plan.payload, self.plan.messages,
                                      self.plan.chunk)
            self.row("publish pipelined", "lab.publish_many", sent, dt, limit=self.plan.messages)
        finally:
            self.drop(name)

    def pipelined_raw(self) -> None:
        name, subject = self.stream("pipe_raw")
        nc, payload = self.lab.nc, b"x" * self.plan.payload
        n, cap, chunk = self.plan.messages, self.plan.seconds, self.plan.chunk

        async def go() -> tuple[int, float]:
            # The same shape as publish_many in chunks: up to `chunk` in flight, then all acks.
            js = nc.jetstream(publish_async_max_pending=max(4000, chunk))
            sent, t0 = 0, time.perf_counter()
            while sent < n and time.perf_counter() - t0 < cap:
                for _ in range(min(chunk, n - sent)):
                    await js.publish_async(subject, payload)
                    sent += 1
                await js.publish_async_completed()
            return sent, time.perf_counter() - t0

        try:
            sent, dt = self.on_loop(go())
            self.row("publish pipelined", "nats-py publish_async", sent, dt, limit=n)
        finally:
            self.drop(name)

    def core_kit(self) -> None:
        name, subject = self.stream("core")
        try:
            payload, n, end = b"x" * self.plan.payload, self.plan.sync_messages, self.deadline()
            i, t0 = 0, time.perf_counter()
            while i < n and time.perf_counter() < end:
                self.lab.publish_core(subject, payload)  # waits for a PONG: one round trip
                i += 1
            dt = time.perf_counter() - t0
            got = self.stored(name, i)
            self.row("publish core", "lab.publish_core", i, dt, limit=n, per_call=True,
                     note=f"stored {got:,} of {i:,}")
        finally:
            self.drop(name)

    def core_raw(self) -> None:
        name, subject = self.stream("core_raw")
        nc, payload = self.lab.nc, b"x" * self.plan.payload
        n, cap = self.plan.messages, self.plan.seconds

        async def go() -> tuple[int, float]:
            sent, t0 = 0, time.perf_counter()
            while sent < n and time.perf_counter() - t0 < cap:
                for _ in range(min(500, n - sent)):
                    await nc.publish(subject, payload)
                    sent += 1
            await nc.flush()
            return sent, time.perf_counter() - t0

        try:
            sent, dt = self.on_loop(go())
            got = self.stored(name, sent)
            self.row("publish core", "nats-py nc.publish burst", sent, dt, limit=n,
                     note=f"stored {got:,} of {sent:,}")
        finally:
            self.drop(name)

    def storage(self, storage: str) -> None:
        name, subject = self.stream(f"store_{storage}", storage=storage)
        try:
            sent, dt = self.pipelined(subject, b"x" * self.plan.payload, self.plan.messages,
                                      self.plan.chunk)
            self.row("storage", storage, sent, dt, limit=self.plan.messages)
        finally:
            self.drop(name)

    def message_size(self, size: int) -> None:
        name, subject = self.stream("size")
        try:
            n = max(1, min(self.plan.messages, self.plan.size_bytes // size))
            chunk = max(1, min(self.plan.chunk, (4 * 2**20) // size))
            sent, dt = self.pipelined(subject, b"x" * size, n, chunk)
            self.row("message size", _size(size), sent, dt, limit=n, payload=size)
        finally:
            self.drop(name)

    def _backlog(self, key: str, n: int) -> tuple[str, str]:
        name, subject = self.stream(key)
        payload, done = b"x" * self.plan.payload, 0
        while done < n:
            k = min(self.plan.chunk, n - done)
            self.lab.publish_many(subject, [payload] * k, progress=False)
            done += k
        return name, subject

    def fetch_batch(self, batch: int) -> None:
        n = self.plan.messages
        name = f"{_PREFIX}FETCH"
        if name not in self.created:
            self._backlog("fetch", n)
        durable = f"b{batch}"
        self.lab.add_consumer(name, durable, max_ack_pending=-1)
        try:
            got, end = 0, self.deadline()
            t0 = time.perf_counter()
            while got < n and time.perf_counter() < end:
                got += len(self.lab.fetch_and_ack(name, durable, min(batch, n - got), wait=0.5))
            self.row("fetch batch", batch, got, time.perf_counter() - t0, limit=n)
        finally:
            with contextlib.suppress(JslabError):
                self.lab.delete_consumer(name, durable)
            if batch == self.plan.batches[-1]:
                self.drop(name)

    def max_ack_pending(self, mp: int) -> None:
        p = self.plan
        # Enough messages for the time cap at the ideal rate (every worker busy), no more.
        ideal = p.workers / p.work if p.work > 0 else float(p.messages)
        n = max(p.workers * 4, min(p.messages, math.ceil(ideal * p.seconds * 1.2)))
        name = f"{_PREFIX}MAP"
        if name not in self.created:
            self._backlog("map", n)
        durable = f"mp{mp}"
        self.lab.add_consumer(name, durable, max_ack_pending=mp, ack_wait=30)
        work = p.work
        c = None
        try:
            t0 = time.perf_counter()
            c = self.lab.consume(name, durable, lambda m: time.sleep(work), batch=1, wait=0.05,
                                 threads=p.workers)
            c.wait(processed=n, timeout=p.seconds)
            done, dt = c.processed, time.perf_counter() - t0
            c.stop()
            c = None
            ideal_rate = min(mp, p.workers) / work if work > 0 else float("nan")
            note = (f"{p.workers} workers x {work * 1000:g} ms; ideal {ideal_rate:,.0f} msgs/s"
                    if work > 0 else f"{p.workers} workers")
            self.row("max_ack_pending", mp, done, dt, limit=n, note=note)
        finally:
            if c is not None:
                c.stop()
            with contextlib.suppress(JslabError):
                self.lab.delete_consumer(name, durable)
            if mp == p.pending[-1]:
                self.drop(name)

    def replicas(self, r: int, mode: str) -> None:
        size = cluster_size(self.lab)
        if size < 3:
            self.skip("replicas", f"R{r} {mode}", "needs jslab.start(cluster=3)")
            return
        name, subject = self.stream(f"r{r}_{mode}", replicas=r)
        try:
            payload = b"x" * self.plan.payload
            if mode == "sync":
                n, end = self.plan.sync_messages, self.deadline()
                i, t0 = 0, time.perf_counter()
                while i < n and time.perf_counter() < end:
                    self.lab.publish(subject, payload)
                    i += 1
                self.row("replicas", f"R{r} sync", i, time.perf_counter() - t0, limit=n,
                         per_call=True)
            else:
                sent, dt = self.pipelined(subject, payload, self.plan.messages, self.plan.chunk)
                self.row("replicas", f"R{r} pipelined", sent, dt, limit=self.plan.messages)
        finally:
            self.drop(name)


def _size(n: int) -> str:
    for unit, k in (("MiB", 2**20), ("KiB", 2**10)):
        if n >= k and n % k == 0:
            return f"{n // k} {unit}"
    return f"{n} B"


def _scenarios(scenarios: str | Iterable[str] | None) -> list[str]:
    if scenarios is None:
        return list(SCENARIOS)
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    chosen = list(scenarios)
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown or not chosen:
        what = f"unknown scenario {unknown[0]!r}" if unknown else "no scenario given"
        raise ValidationError(f"{what}; the scenarios are: {', '.join(SCENARIOS)}.")
    return [s for s in SCENARIOS if s in chosen]


def run(lab: Any, scenarios: str | Iterable[str] | None = None, *, plan: Plan = QUICK,
        repeat: int = 1, progress: bool | Callable[[int, int, str], None] | None = None):
    """Run the scenarios (all by default) and return a DataFrame, one row per case.

        >>> df = bench.run(lab, ["publish sync", "publish pipelined"])
        >>> df.attrs["interrupted"]          # True when Ctrl-C stopped it early

    ``repeat``: run each case that many times and keep the fastest (a busy machine slows some
    runs down, never speeds one up). ``progress``: None chooses (a widget in a notebook, a bar
    on a terminal, nothing elsewhere), False shows nothing, or a function
    ``progress(done, total, label)``.
    The benchmark's streams (``JSLAB_BENCH_*``) are deleted when it ends, however it ends.
    """
    import pandas as pd

    if not isinstance(plan, Plan):
        raise JslabTypeError(f"plan is a bench.Plan (bench.QUICK, bench.FULL), not {plan!r}.")
    chosen = _scenarios(scenarios)
    repeat = arguments.count("repeat", repeat, minimum=1, maximum=100)
    _loopback_url(lab.url)
    taken = [s for s in lab.stream_names() if s.startswith(_PREFIX)]
    if taken:
        raise ValidationError(
            f"stream {taken[0]} already exists: the benchmark creates and deletes streams named "
            f"{_PREFIX}*, and will not touch one it did not create. Delete it first "
            f"(lab.delete_stream({taken[0]!r})) if it is left over from a killed run.")
    if progress is None:
        progress = _default_progress()
    elif progress is True:
        progress = TextProgress()
    elif progress is not False and not callable(progress):
        raise JslabTypeError(f"progress is True, False, None or a function, not {progress!r}.")
    show = progress or (lambda done, total, label: None)

    state = _Run(lab, plan)
    cases = state.cases(chosen)
    interrupted = False
    t0 = time.perf_counter()
    try:
        for i, (scenario, parameter, case) in enumerate(cases):
            show(i, len(cases), f"{scenario}: {parameter}")
            before = len(state.rows)
            for _ in range(repeat):
                case()
            state.keep_fastest(before)
        show(len(cases), len(cases), "done")
    except KeyboardInterrupt:
        interrupted = True
    finally:
        state.cleanup()
    df = pd.DataFrame(state.rows, columns=_COLUMNS)
    df.attrs.update(interrupted=interrupted, seconds=time.perf_counter() - t0,
                    server=lab.server_version, cluster=cluster_size(lab))
    return df


# ------------------------------------------------------------------ reading the results
def _rate(df: Any, scenario: str, parameter: str) -> float:
    hit = df[(df["scenario"] == scenario) & (df["parameter"] == parameter)]["msgs/s"]
    return float(hit.iloc[0]) if len(hit) and hit.iloc[0] == hit.iloc[0] else float("nan")


def ratios(df: Any) -> dict[str, float]:
    """The comparisons that matter, as ratios of msgs/s (NaN where a case is missing)."""
    r = {
        "lab.publish / nats-py js.publish":
            _rate(df, "publish sync", "lab.publish") / _rate(df, "publish sync",
                                                            "nats-py js.publish"),
        "lab.publish_many / nats-py publish_async":
            _rate(df, "publish pipelined", "lab.publish_many")
            / _rate(df, "publish pipelined", "nats-py publish_async"),
        "pipelined / sync (lab)":
            _rate(df, "publish pipelined", "lab.publish_many")
            / _rate(df, "publish sync", "lab.publish"),
        "memory / file":
            _rate(df, "storage", "memory") / _rate(df, "storage", "file"),
    }
    batches = df[df["scenario"] == "fetch batch"]
    if len(batches) >= 2:
        first, last = batches.iloc[0], batches.iloc[-1]
        r[f"fetch batch {last['parameter']} / {first['parameter']}"] = (
            last["msgs/s"] / first["msgs/s"])
    r["R1 / R3 sync"] = _rate(df, "replicas", "R1 sync") / _rate(df, "replicas", "R3 sync")
    return r


def report(df: Any) -> str:
    """The table and the ratios as text (what ``jslab bench`` prints)."""
    import pandas as pd

    shown = df.copy()
    with pd.option_context("display.width", 200, "display.max_colwidth", 60,
                           "display.max_rows", 200):
        table = shown.to_string(index=False, formatters={
            "seconds": "{:.2f}".format, "msgs/s": _fmt_num, "MB/s": _fmt_mb,
            "round trip µs": _fmt_num})
    lines = [table, ""]
    for name, value in ratios(df).items():
        if value == value:
            lines.append(f"{name}: {value:.2f}x")
    if df.attrs.get("interrupted"):
        lines.append("interrupted: the table holds the cases measured before Ctrl-C.")
    return "\n".join(lines)


def _fmt_num(v: float) -> str:
    return "" if v != v else f"{v:,.0f}"


def _fmt_mb(v: float) -> str:
    return "" if v != v else (f"{v:,.1f}" if v >= 1 else f"{v:.3f}")


def plot(df: Any):
    """One figure, six panels: publish modes, storage, message size (msgs/s and MB/s),
    fetch batch, max_ack_pending against the ideal, replicas."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5))
    (a_pub, a_store, a_size), (a_fetch, a_map, a_rep) = axes

    def bars(ax: Any, scenario: Any, title: str, colors: Sequence[str], log: bool = True) -> None:
        part = df[(df["scenario"].isin([scenario] if isinstance(scenario, str) else scenario))
                  & (df["messages"] > 0)]
        ax.set_title(title)
        if part.empty:
            ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return
        labels = [p.replace("nats-py ", "nats-py\n").replace("lab.", "lab.")
                  for p in part["parameter"]]
        ax.barh(range(len(part)), part["msgs/s"], color=list(colors)[:len(part)])
        ax.set_yticks(range(len(part)), labels, fontsize=8)
        ax.invert_yaxis()
        if log:
            ax.set_xscale("log")
        ax.set_xlabel("messages per second" + (" (log)" if log else ""))
        for y, v in enumerate(part["msgs/s"]):
            ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)

    kit, raw = "#4c72b0", "#a1c9f4"
    bars(a_pub, ["round trip", "publish sync", "publish pipelined", "publish core"],
         "publish modes (kit dark, raw nats-py light)", [kit, raw] * 4)
    bars(a_store, "storage", "pipelined publish: memory vs file", ["#55a868", "#c44e52"],
         log=False)

    size = df[(df["scenario"] == "message size") & (df["messages"] > 0)]
    a_size.set_title("message size: messages/s vs MB/s")
    if len(size):
        x = range(len(size))
        a_size.plot(x, size["msgs/s"], "o-", color=kit, label="messages/s")
        a_size.set_yscale("log")
        a_size.set_ylabel("messages per second (log)", color=kit)
        a_size.set_xticks(list(x), list(size["parameter"]))
        a_size.set_xlabel("payload size")
        twin = a_size.twinx()
        twin.plot(x, size["MB/s"], "s--", color="#dd8452", label="MB/s")
        twin.set_ylabel("MB of payload per second", color="#dd8452")
        twin.set_ylim(bottom=0)
    fetch = df[(df["scenario"] == "fetch batch") & (df["messages"] > 0)]
    a_fetch.set_title("fetch_and_ack: batch size")
    if len(fetch):
        a_fetch.plot(fetch["parameter"].astype(int), fetch["msgs/s"], "o-", color=kit)
        a_fetch.set_xscale("log")
        a_fetch.set_ylim(bottom=0)
        a_fetch.set_xlabel("batch (messages per fetch, log)")
        a_fetch.set_ylabel("messages per second")
    mp = df[(df["scenario"] == "max_ack_pending") & (df["messages"] > 0)]
    a_map.set_title("max_ack_pending with slow workers")
    if len(mp):
        xs = list(range(len(mp)))
        a_map.plot(xs, mp["msgs/s"], "o-", color=kit, label="measured")
        ideal = [float(n.split("ideal ")[1].split(" ")[0].replace(",", ""))
                 if "ideal " in n else float("nan") for n in mp["note"]]
        a_map.plot(xs, ideal, ":", color="grey", label="ideal: min(max_ack_pending, workers)"
                                                        " / work time")
        a_map.set_xticks(xs, list(mp["parameter"]))
        a_map.set_xlabel(f"max_ack_pending ({mp['note'].iloc[0].split(';')[0]})")
        a_map.set_ylabel("messages per second")
        a_map.set_ylim(bottom=0)
        a_map.legend(fontsize=8, loc="lower right")
    rep = df[df["scenario"] == "replicas"]
    if len(rep) and (rep["messages"] > 0).any():
        bars(a_rep, "replicas", "replicas: R1 vs R3", [kit, kit, "#8172b3", "#8172b3"])
    else:
        a_rep.set_title("replicas: R1 vs R3")
        why = rep["note"].iloc[0] if len(rep) else "not measured"
        a_rep.text(0.5, 0.5, why, ha="center", va="center", transform=a_rep.transAxes,
                   wrap=True)
        a_rep.set_axis_off()
    fig.suptitle(f"JetStream measured on this machine (nats-server {df.attrs.get('server', '?')}"
                 f", loopback)")
    fig.tight_layout()
    plt.close(fig)
    return fig


def plot_table(df: Any):
    """The results table as a figure (numbers that change per run, outside compared text)."""
    import matplotlib.pyplot as plt

    cells = [[r["scenario"], r["parameter"], f"{r['messages']:,}", f"{r['seconds']:.2f}",
              _fmt_num(r["msgs/s"]), _fmt_mb(r["MB/s"]), _fmt_num(r["round trip µs"]),
              r["note"]] for _, r in df.iterrows()]
    fig, ax = plt.subplots(figsize=(11, 0.22 * len(cells) + 0.5))
    ax.set_axis_off()
    table = ax.table(cellText=cells, colLabels=_COLUMNS, loc="upper center", cellLoc="left",
                     bbox=[0, 0, 1, 1])
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.auto_set_column_width(list(range(len(_COLUMNS))))
    fig.tight_layout()
    plt.close(fig)
    return fig
