"""Record a stream and its consumers over time: backlog, ack pending and delivery rates.

A background thread asks the server for the stream's state and every consumer's position
every ``every`` seconds (two JetStream API requests per sample, whatever the stream's size)
until ``stop()``, the end of a ``with`` block, or ``lab.close()``.

    >>> with Recorder(lab, "ORDERS", every=0.1) as rec:
    ...     lab.fetch_and_ack("ORDERS", "shipping", 500)
    >>> rec.frame.tail()          # one row per sample and consumer
    >>> rec.plot()                # backlog, ack pending and delivery rate over time
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timezone
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from .. import arguments, names
from ._background import LabThread
from .figures import new_figure

__all__ = ["FRAME_COLUMNS", "Recorder"]

FRAME_COLUMNS = (
    "time", "elapsed_s", "messages", "first_seq", "last_seq", "consumer", "num_pending",
    "num_ack_pending", "delivered_stream_seq", "delivered_consumer_seq", "ack_floor_stream_seq",
    "num_redelivered", "delivery_rate", "publish_rate",
)
_PER_CONSUMER = ("num_pending", "num_ack_pending", "delivered_stream_seq",
                 "delivered_consumer_seq", "ack_floor_stream_seq", "num_redelivered")



class Recorder(LabThread):
    """Samples ``stream`` every ``every`` seconds on a background thread until stopped.

        >>> rec = Recorder(lab, "ORDERS", every=0.1)
        >>> ...                                   # publish, fetch, ack
        >>> rec.stop(); rec.frame
    """

    def __init__(self, lab, stream: str, every: float = 0.1) -> None:
        names.check_stream_name(stream)
        every = arguments.seconds("every", every, minimum=0.001, maximum=3600)
        lab.session.check_open()
        self.lab = lab
        self.stream = stream
        self.every = float(every)
        self.error: BaseException | None = None
        self._samples: list[tuple[datetime, float, dict, list[dict]]] = []
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        # The first sample is taken here, so a wrong stream name fails in the calling cell.
        self._sample()
        self._start_thread(f"jslab-recorder-{stream}")

    # ------------------------------------------------------------------ sampling
    def _sample(self) -> None:
        stream_info, consumers = self.lab.session.call(_read_state(self.lab.session, self.stream))
        sample = (datetime.now(timezone.utc), time.monotonic() - self._t0,
                  stream_info.get("state") or {}, consumers)
        with self._lock:
            self._samples.append(sample)

    def _run(self) -> None:
        next_at = time.monotonic() + self.every
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            next_at += self.every
            if next_at < time.monotonic():  # a slow sample: skip the missed ticks
                next_at = time.monotonic() + self.every
            try:
                self._sample()
            except Exception as e:
                # The lab closed, the stream was deleted, the server went away: stop quietly
                # (printing from this thread would land in whatever cell runs now).
                self.error = e
                return

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ results
    def __len__(self) -> int:
        with self._lock:
            return len(self._samples)

    @property
    def frame(self) -> pd.DataFrame:
        """One row per sample and consumer (``consumer`` is None for a stream without any).

        ``delivery_rate`` is deliveries per second (redeliveries included) since the previous
        sample of that consumer; ``publish_rate`` is new sequences per second on the stream.
        """
        with self._lock:
            samples = list(self._samples)
        rows = []
        for when, elapsed, state, consumers in samples:
            base = {
                "time": when, "elapsed_s": elapsed, "messages": int(state.get("messages", 0)),
                "first_seq": int(state.get("first_seq", 0)),
                "last_seq": int(state.get("last_seq", 0)),
            }
            if not consumers:
                rows.append({**base, "consumer": None})
            for c in consumers:
                rows.append({**base, **c})
        df = pd.DataFrame(rows, columns=list(FRAME_COLUMNS[:-2]))
        df["time"] = pd.to_datetime(df["time"], utc=True)
        for col in ("messages", "first_seq", "last_seq"):
            df[col] = df[col].astype("int64")
        for col in _PER_CONSUMER:
            df[col] = df[col].astype("Int64")  # missing for a stream without consumers
        df["elapsed_s"] = df["elapsed_s"].astype("float64")
        dt = df.groupby("consumer", dropna=False)["elapsed_s"].diff()
        delivered = df.groupby("consumer", dropna=False)["delivered_consumer_seq"].diff()
        df["delivery_rate"] = (delivered.astype("float64") / dt).astype("float64")
        stream_rows = df.drop_duplicates("elapsed_s")
        publish = stream_rows["last_seq"].diff() / stream_rows["elapsed_s"].diff()
        df["publish_rate"] = df["elapsed_s"].map(dict(zip(stream_rows["elapsed_s"], publish,
                                                          strict=True))).astype("float64")
        return df

    def plot(self, *, title: str | None = None) -> Figure:
        """Backlog, ack pending and delivery rate over time, one line per consumer.

            >>> fig = rec.plot()          # displays inline in Jupyter
        """
        df = self.frame
        fig = new_figure(9.0, 7.0, layout="constrained")
        axes = fig.subplots(3, 1, sharex=True)
        panels = (
            ("num_pending", "Backlog: messages not delivered yet", "messages"),
            ("num_ack_pending", "Ack pending: delivered, not acknowledged", "messages"),
            ("delivery_rate", "Delivery rate (redeliveries included)", "deliveries / s"),
        )
        consumers = [c for c in df["consumer"].dropna().unique()]
        for ax, (col, label, unit) in zip(axes, panels, strict=True):
            for name in sorted(consumers):
                part = df[df["consumer"] == name]
                ax.plot(part["elapsed_s"], part[col].astype("float64"), label=name,
                        drawstyle="steps-post" if col != "delivery_rate" else "default")
            ax.set_title(label, loc="left", fontsize=10)
            ax.set_ylabel(unit)
            ax.grid(True, alpha=0.3)
            ax.set_ylim(bottom=0)
        if not consumers:
            axes[0].text(0.5, 0.5, f"{self.stream} has no consumers", ha="center",
                         va="center", transform=axes[0].transAxes, color="#5f6b76")
        else:
            axes[0].legend(title="consumer", fontsize=8, loc="upper right")
        axes[-1].set_xlabel("seconds since the recording started")
        fig.suptitle(title if title is not None else
                     f"Stream {self.stream}: {len(df['elapsed_s'].unique())} samples every "
                     f"{self.every:g} s")
        return fig

    def __repr__(self) -> str:
        state = "recording" if self.running else "stopped"
        n = len(self)
        return f"<Recorder {self.stream}: {n} sample{'s' if n != 1 else ''}, {state}>"

    def _repr_pretty_(self, p, cycle: bool) -> None:
        p.text(repr(self))


async def _read_state(session, stream: str) -> tuple[dict, list[dict]]:
    """Stream state and every consumer's position: two requests, no subject details."""
    await session.deliveries.settle()  # acks sent so far count in this sample
    info, consumers = await asyncio.gather(
        session.request(f"STREAM.INFO.{stream}", operation=f"stream info {stream}",
                        context={"stream": stream}),
        _consumer_positions(session, stream),
    )
    return info, consumers


async def _consumer_positions(session, stream: str) -> list[dict]:
    found: list[dict] = []
    for info in await session.paged(f"CONSUMER.LIST.{stream}", "consumers",
                                    f"list consumers of {stream}"):
        delivered = info.get("delivered") or {}
        found.append({
            "consumer": info.get("name", ""),
            "num_pending": int(info.get("num_pending", 0)),
            "num_ack_pending": int(info.get("num_ack_pending", 0)),
            "delivered_stream_seq": int(delivered.get("stream_seq", 0)),
            "delivered_consumer_seq": int(delivered.get("consumer_seq", 0)),
            "ack_floor_stream_seq": int((info.get("ack_floor") or {}).get("stream_seq", 0)),
            "num_redelivered": int(info.get("num_redelivered", 0)),
        })
    return sorted(found, key=lambda c: c["consumer"])


