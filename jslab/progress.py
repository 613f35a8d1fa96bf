"""A minimal progress line for long calls (big publishes, benchmarks, cluster start-up).

Written to stderr with carriage returns, so it never mixes into a cell's compared output.

    >>> bar = Progress(1_000_000, "publishing"); bar.update(500_000); bar.close()
"""

from __future__ import annotations

import sys
import time

__all__ = ["Progress"]


class Progress:
    def __init__(self, total: int, label: str, *, stream=None, min_interval: float = 0.2) -> None:
        self.total = total
        self.label = label
        self._stream = stream or sys.stderr
        self._t0 = time.perf_counter()
        self._last = 0.0
        self._min_interval = min_interval
        self._shown = False

    def update(self, done: int) -> None:
        now = time.perf_counter()
        if now - self._last < self._min_interval and done < self.total:
            return
        self._last = now
        elapsed = now - self._t0
        rate = done / elapsed if elapsed > 0 else 0.0
        pct = 100.0 * done / self.total if self.total else 100.0
        width = 30
        filled = int(width * pct / 100)
        bar = "█" * filled + "·" * (width - filled)
        self._stream.write(
            f"\r{self.label} {bar} {done:,}/{self.total:,} ({pct:5.1f}%) {rate:,.0f}/s "
        )
        self._stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self._stream.write("\n")
            self._stream.flush()
