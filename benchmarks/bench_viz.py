"""Benchmark: snapshot + tape of a 1,000,000-message stream with 10 consumers.

Starts a bundled nats-server, publishes 1,000,000 small messages with raw nats-py (pipelined
core publishes, flushed in batches), puts 10 durable pull consumers at different positions,
then times ``collect_snapshot`` + ``tape`` + PNG rendering (median of 3), and how fast
``Lab.messages`` reads messages into a DataFrame when the lab offers it.

    $ .venv/bin/python benchmarks/bench_viz.py            # target: tape_1m_s < 1
    ...
    RESULT tape_1m_s=0.41 messages_per_s=123456
"""

from __future__ import annotations

import asyncio
import inspect
import io
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from jslab.collect import collect_snapshot
from jslab.server import LocalServer
from jslab.session import Session
from jslab.viz.tape import tape

STREAM = "BENCH"
N = 1_000_000
BATCH = 20_000
CONSUMERS = 10
MESSAGES_SAMPLE = 100_000  # rows asked of Lab.messages when it takes a limit


def progress(text: str) -> None:
    print(f"\r{text}", end="", file=sys.stderr, flush=True)


async def fill(url: str) -> None:
    nc = await nats.connect(url)
    # Acknowledged publishes, many in flight: plain core publishes can be dropped when the
    # stream falls behind, and the count would never reach N.
    js = nc.jetstream(publish_async_max_pending=BATCH)
    await js.add_stream(name=STREAM, subjects=["bench.>"])
    payload = b"x" * 16
    subjects = ("bench.orders", "bench.payments", "bench.audit")
    t0 = time.perf_counter()
    for start in range(0, N, BATCH):
        for i in range(start, min(start + BATCH, N)):
            await js.publish_async(subjects[i % 3], payload)
        progress(f"published {min(start + BATCH, N):,}/{N:,}")
    await asyncio.wait_for(js.publish_async_completed(), timeout=120)
    stored = (await js.stream_info(STREAM)).state.messages
    if stored != N:
        raise SystemExit(f"stream {STREAM} holds {stored:,} messages, expected {N:,}")
    took = time.perf_counter() - t0
    print(f"\rpublished {N:,} msgs in {took:.1f} s ({N / took:,.0f}/s)", file=sys.stderr)

    # Consumers spread along the tape; start sequences are cheap, fetch+ack leaves pending.
    for k in range(CONSUMERS):
        start_seq = 1 + k * (N // CONSUMERS)
        name = f"c{k}"
        await js.add_consumer(STREAM, ConsumerConfig(
            durable_name=name, deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start_seq, ack_wait=600,
            filter_subject="bench.orders" if k % 4 == 3 else None,
        ))
        if k % 2:
            sub = await js.pull_subscribe_bind(durable=name, stream=STREAM)
            msgs = await sub.fetch(1000, timeout=5)
            for m in msgs[: len(msgs) * 3 // 4]:
                await m.ack()
            await nc.flush()
        progress(f"consumers {k + 1}/{CONSUMERS}")
    print(file=sys.stderr)
    await nc.close()


def snapshot_and_tape(url: str) -> float:
    """What ``lab.snapshot(STREAM).tape()`` costs, rendered to PNG (the kit's own session)."""
    session = Session([url], timeout=30)
    session.connect()
    try:
        t0 = time.perf_counter()
        snap = session.call(collect_snapshot(session, STREAM), timeout=60)
        fig = tape(snap)
        fig.savefig(io.BytesIO(), format="png")
        took = time.perf_counter() - t0
    finally:
        session.close()
    assert snap.messages == N and len(snap.consumers) == CONSUMERS, snap
    return took


def messages_per_s(url: str) -> float | None:
    import jslab

    if not hasattr(jslab, "connect") or not hasattr(jslab.Lab, "messages"):
        print("Lab.messages is not available yet: messages_per_s not measured",
              file=sys.stderr)
        return None
    lab = jslab.connect(url)
    try:
        params = inspect.signature(lab.messages).parameters
        kwargs = {p: MESSAGES_SAMPLE for p in ("limit", "count", "max_msgs") if p in params}
        t0 = time.perf_counter()
        df = lab.messages(STREAM, **kwargs)
        took = time.perf_counter() - t0
    finally:
        lab.close()
    print(f"Lab.messages: {len(df):,} rows in {took:.2f} s", file=sys.stderr)
    return len(df) / took


def main() -> None:
    with LocalServer() as srv:
        asyncio.run(fill(srv.url))
        times = []
        for i in range(3):
            times.append(snapshot_and_tape(srv.url))
            print(f"run {i + 1}: snapshot + tape + png {times[-1]:.3f} s", file=sys.stderr)
        rate = messages_per_s(srv.url)
    tape_s = statistics.median(times)
    rate_text = f"{rate:.0f}" if rate is not None else "nan"
    print(f"RESULT tape_1m_s={tape_s:.3f} messages_per_s={rate_text}")


if __name__ == "__main__":
    main()
