"""jslab.bench and `jslab bench`: every scenario measures, Ctrl-C keeps what was measured,
the command refuses bad arguments before starting anything."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from jslab import bench
from jslab.cli import main
from jslab.errors import JslabTypeError, ValidationError

JSLAB = [sys.executable, "-m", "jslab"]

TINY = bench.Plan(messages=300, sync_messages=50, seconds=0.3, size_bytes=2**21, chunk=100,
                  sizes=(16, 4096, 2**20), batches=(1, 100), pending=(1, 4), workers=4,
                  work=0.002)


def test_every_scenario_measures_something(lab):
    seen = []
    df = bench.run(lab, plan=TINY, progress=lambda done, total, label: seen.append(done))
    assert list(df.columns) == ["scenario", "parameter", "messages", "seconds", "msgs/s", "MB/s",
                                "round trip µs", "note"]
    assert set(df["scenario"]) == set(bench.SCENARIOS)
    measured = df[df["scenario"] != "replicas"]
    assert (measured["messages"] > 0).all(), measured
    assert (measured["msgs/s"] > 0).all(), measured
    assert (measured["seconds"] < TINY.seconds + 1.5).all(), measured  # the time cap holds
    sync = measured[measured["scenario"].isin(["publish sync", "round trip"])]
    assert (sync["round trip µs"] > 0).all()
    core = measured[measured["scenario"] == "publish core"]
    assert core["note"].str.startswith("stored ").all()
    sizes = measured[measured["scenario"] == "message size"]
    assert list(sizes["parameter"]) == ["16 B", "4 KiB", "1 MiB"]
    assert (sizes["messages"] * [16, 4096, 2**20] <= 2**21).all()  # the byte cap holds
    # One server: R1 vs R3 is skipped, and says what it needs.
    replicas = df[df["scenario"] == "replicas"]
    assert (replicas["messages"] == 0).all()
    assert replicas["note"].str.contains(r"needs jslab.start\(cluster=3\)").all()
    assert seen == list(range(len(df) + 1))
    assert df.attrs["interrupted"] is False
    assert not [s for s in lab.stream_names() if s.startswith("JSLAB_BENCH_")]
    ratios = bench.ratios(df)
    assert ratios["pipelined / sync (lab)"] > 1
    text = bench.report(df)
    assert "lab.publish / nats-py js.publish:" in text
    assert bench.plot(df).axes and bench.plot_table(df).axes


def test_ctrl_c_stops_cleanly_and_returns_what_was_measured(lab):
    lab.add_stream("MINE", subjects=["mine.>"])

    def interrupt_at_the_fourth_case(done, total, label):
        if done == 3:
            raise KeyboardInterrupt

    df = bench.run(lab, ["publish sync", "publish pipelined"], plan=TINY,
                   progress=interrupt_at_the_fourth_case)
    assert df.attrs["interrupted"] is True
    assert list(df["parameter"]) == ["lab.publish", "nats-py js.publish", "lab.publish_many"]
    assert lab.stream_names() == ["MINE"]  # its own streams gone, the learner's kept
    assert "interrupted" in bench.report(df)


def test_ctrl_c_inside_a_case_deletes_its_stream(lab, monkeypatch):
    def slow(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lab, "publish_many", slow)
    df = bench.run(lab, "storage", plan=TINY, progress=False)
    assert df.attrs["interrupted"] is True and df.empty
    assert lab.stream_names() == []


def test_bad_arguments_are_refused(lab):
    with pytest.raises(ValidationError, match="unknown scenario 'publish'"):
        bench.run(lab, "publish", plan=TINY)
    with pytest.raises(JslabTypeError, match=r"bench\.Plan"):
        bench.run(lab, plan={"messages": 10})
    with pytest.raises(ValidationError):
        TINY.replace(seconds=-1)
    with pytest.raises(JslabTypeError):
        TINY.replace(sizes=[16])
    lab.add_stream("JSLAB_BENCH_SYNC", subjects=["elsewhere.>"])
    with pytest.raises(ValidationError, match="will not touch one it did not create"):
        bench.run(lab, "publish sync", plan=TINY)
    assert "JSLAB_BENCH_SYNC" in lab.stream_names()


def test_cluster_size():
    from types import SimpleNamespace

    one = SimpleNamespace(server=None)
    three = SimpleNamespace(server=SimpleNamespace(servers=[1, 2, 3]))  # like a LocalCluster
    assert bench.cluster_size(one) == 1
    assert bench.cluster_size(three) == 3


@pytest.mark.parametrize("argv, message", [
    (["bench", "--quick", "5"], "unrecognized arguments: 5"),
    (["bench", "--plot", "/no/such/folder/out.png"], "folder '/no/such/folder' does not exist"),
    (["bench", "--plot", "plots.txt"], "ending in .png or .svg or .pdf"),
    (["bench", "--csv", "out.png"], "ending in .csv"),
    (["bench", "--url", "nats://10.1.2.3:4222"], "10.1.2.3 is not loopback"),
    (["bench", "--url", "nats://demo.nats.io:4222"], "demo.nats.io is not loopback"),
    (["bench", "--scenario", "everything"], "invalid choice: 'everything'"),
    (["bench", "--cluster", "1"], "1 node is not a cluster"),
])
def test_command_refuses_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_command_refuses_url_with_cluster(capsys):
    assert main(["bench", "--url", "nats://127.0.0.1:4222", "--cluster", "3"]) == 2
    assert "give one of them" in capsys.readouterr().err


def test_command_quick_end_to_end(tmp_path):
    csv, png = tmp_path / "bench.csv", tmp_path / "bench.png"
    done = subprocess.run(
        [*JSLAB, "bench", "--quick", "--scenario", "publish sync", "--scenario", "fetch batch",
         "--csv", str(csv), "--plot", str(png)],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "lab.publish / nats-py js.publish:" in done.stdout
    assert "bench 6/6 done" in done.stderr  # a pipe gets one progress line per case
    df = pd.read_csv(csv)
    assert list(df["scenario"]) == ["publish sync"] * 2 + ["fetch batch"] * 4
    assert (df["msgs/s"] > 0).all()
    assert png.stat().st_size > 10_000


def test_repeat_keeps_the_fastest_run(lab):
    df = bench.run(lab, "publish pipelined", plan=TINY, repeat=2, progress=False)
    assert list(df["parameter"]) == ["lab.publish_many", "nats-py publish_async"]
    assert df["note"].str.contains("best of 2").all()
    with pytest.raises(ValidationError):
        bench.run(lab, "publish sync", plan=TINY, repeat=0)
