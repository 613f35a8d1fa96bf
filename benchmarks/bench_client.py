"""jslab's synchronous calls against raw nats-py, measured in one run on one server.

    $ python benchmarks/bench_client.py [--quick]

Each row runs the jslab call and the raw nats-py equivalent (asyncio, same machine, same
server, fresh stream each) several times and compares medians. The last line is:

    RESULT publish=<ratio> publish_many=<ratio> fetch_ack=<ratio> start_ms=<median>

A ratio is jslab msgs/s divided by raw nats-py msgs/s (1.0 = as fast as raw).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import nats

from jslab.lab import Lab
from jslab.server import LocalCluster, LocalServer


def _fresh(lab: Lab, name: str) -> None:
    if name in lab.stream_names():
        lab.delete_stream(name)
    lab.add_stream(name, subjects=[f"{name.lower()}.>"], storage="memory")


# ------------------------------------------------------------------ raw nats-py baselines
async def raw_publish(url: str, stream: str, n: int) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    subject = f"{stream.lower()}.x"
    t0 = time.perf_counter()
    for i in range(n):
        await js.publish(subject, b"payload-%d" % i)
    dt = time.perf_counter() - t0
    await nc.close()
    return n / dt


async def raw_publish_async(url: str, stream: str, n: int) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream(publish_async_max_pending=4000)
    subject = f"{stream.lower()}.x"
    t0 = time.perf_counter()
    for i in range(n):
        await js.publish_async(subject, b"payload-%d" % i)
    await js.publish_async_completed()
    dt = time.perf_counter() - t0
    await nc.close()
    return n / dt


async def raw_fetch_ack(url: str, stream: str, consumer: str, n: int, batch: int) -> float:
    nc = await nats.connect(url)
    js = nc.jetstream()
    sub = await js.pull_subscribe_bind(consumer, stream)
    got = 0
    t0 = time.perf_counter()
    while got < n:
        msgs = await sub.fetch(batch, timeout=2)
        for m in msgs:
            await m.ack()
        got += len(msgs)
    await nc.flush()
    dt = time.perf_counter() - t0
    await nc.close()
    return got / dt


# ------------------------------------------------------------------ jslab runs
def lab_publish(lab: Lab, stream: str, n: int) -> float:
    subject = f"{stream.lower()}.x"
    t0 = time.perf_counter()
    for i in range(n):
        lab.publish(subject, b"payload-%d" % i)
    return n / (time.perf_counter() - t0)


def lab_publish_many(lab: Lab, stream: str, n: int) -> float:
    subject = f"{stream.lower()}.x"
    payloads = [b"payload-%d" % i for i in range(n)]
    t0 = time.perf_counter()
    lab.publish_many(subject, payloads, progress=False)
    return n / (time.perf_counter() - t0)


def lab_fetch_ack(lab: Lab, stream: str, consumer: str, n: int, batch: int) -> float:
    got = 0
    t0 = time.perf_counter()
    while got < n:
        got += len(lab.fetch_and_ack(stream, consumer, batch, wait=2))
    return got / (time.perf_counter() - t0)


def _prepare_consumer(lab: Lab, stream: str, n: int) -> None:
    _fresh(lab, stream)
    lab.publish_many(f"{stream.lower()}.x", [b"m"] * n, progress=False)
    lab.add_consumer(stream, "bench", max_ack_pending=-1)


def median_ratio(pairs: list[tuple[float, float]]) -> tuple[float, float, float]:
    ours = statistics.median(p[0] for p in pairs)
    raw = statistics.median(p[1] for p in pairs)
    return ours, raw, ours / raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller counts (a smoke run)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    scale = 0.2 if args.quick else 1.0
    n_pub = int(3000 * scale)
    n_many = int(100_000 * scale)
    n_fetch = int(50_000 * scale)
    rounds = 3 if args.quick else args.rounds

    starts = []
    for _ in range(10):
        with LocalServer() as s:
            starts.append(s.startup_ms)
    start_ms = statistics.median(starts)
    print(f"server start-up: median {start_ms:.1f} ms over {len(starts)} starts "
          f"(min {min(starts):.1f}, max {max(starts):.1f})")
    cluster_ms = []
    for _ in range(1 if args.quick else 3):
        with LocalCluster(3) as c:
            cluster_ms.append(c.startup_ms)
    print(f"3-node cluster to a meta leader: median {statistics.median(cluster_ms):.0f} ms "
          f"over {len(cluster_ms)} starts (target < 5000 ms)", flush=True)

    with LocalServer() as srv:
        lab = Lab(srv.url)
        try:
            results = {}

            def progress(name: str, i: int) -> None:
                print(f"  {name}: round {i + 1}/{rounds}", end="\r", flush=True)

            pairs = []
            for i in range(rounds):
                progress("publish", i)
                _fresh(lab, "PUB")
                ours = lab_publish(lab, "PUB", n_pub)
                _fresh(lab, "PUB")
                raw = asyncio.run(raw_publish(srv.url, "PUB", n_pub))
                pairs.append((ours, raw))
            results["publish"] = median_ratio(pairs)

            pairs = []
            for i in range(rounds):
                progress("publish_many", i)
                _fresh(lab, "MANY")
                ours = lab_publish_many(lab, "MANY", n_many)
                _fresh(lab, "MANY")
                raw = asyncio.run(raw_publish_async(srv.url, "MANY", n_many))
                pairs.append((ours, raw))
            results["publish_many"] = median_ratio(pairs)

            pairs = []
            for i in range(rounds):
                progress("fetch_ack", i)
                _prepare_consumer(lab, "FETCH", n_fetch)
                ours = lab_fetch_ack(lab, "FETCH", "bench", n_fetch, 100)
                _prepare_consumer(lab, "FETCH", n_fetch)
                raw = asyncio.run(raw_fetch_ack(srv.url, "FETCH", "bench", n_fetch, 100))
                pairs.append((ours, raw))
            results["fetch_ack"] = median_ratio(pairs)

            print(f"\n{'benchmark':<14}{'jslab msg/s':>14}{'nats-py msg/s':>16}{'ratio':>8}")
            for name, (ours, raw, ratio) in results.items():
                print(f"{name:<14}{ours:>14,.0f}{raw:>16,.0f}{ratio:>8.2f}")
        finally:
            lab.close()

    print(
        f"RESULT publish={results['publish'][2]:.2f} "
        f"publish_many={results['publish_many'][2]:.2f} "
        f"fetch_ack={results['fetch_ack'][2]:.2f} start_ms={start_ms:.0f}"
    )


if __name__ == "__main__":
    main()
