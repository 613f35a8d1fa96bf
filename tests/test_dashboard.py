"""Dashboard: widgets, buttons and the refresh thread, against a real server."""

from __future__ import annotations

import threading
import time

import pytest

import jslab
from jslab.viz.dashboard import Dashboard, dashboard


@pytest.fixture()
def lab():
    lab = jslab.start()
    lab.add_stream("ORDERS", subjects=["orders.>"])
    lab.add_consumer("ORDERS", "shipping")
    yield lab
    lab.close()


def _messages(lab) -> int:
    return lab.api("STREAM.INFO.ORDERS")["state"]["messages"]


def test_buttons_change_the_server(lab):
    dash = dashboard(lab, "ORDERS", every=5, consumer="shipping")
    assert isinstance(dash, Dashboard)
    assert "jslab-counters" in dash.counters._dom_classes
    assert dash.publish_button.description == "Publish"
    assert "messages <b>0</b>" in dash.counters.value
    assert dash.image.value[:4] == b"\x89PNG"

    dash.publish_count.value = 7
    dash.publish_button.click()
    assert _messages(lab) == 7
    assert "messages <b>7</b>" in dash.counters.value

    dash.fetch_count.value = 3
    dash.fetch_button.click()
    assert dash.batch is not None and dash.batch.seqs == [1, 2, 3]
    assert not dash.ack_button.disabled
    assert lab.consumer_info("ORDERS", "shipping").num_ack_pending == 3
    dash.ack_button.click()
    assert dash.batch is None and dash.ack_button.disabled
    assert lab.consumer_info("ORDERS", "shipping").ack_floor.stream_seq == 3

    dash.fetch_button.click()
    dash.term_button.click()
    info = lab.consumer_info("ORDERS", "shipping")
    assert (info.num_ack_pending, info.delivered.stream_seq) == (0, 6)

    dash.fetch_button.click()
    dash.nak_button.click()
    assert "nak seq 7" in dash.status.value

    dash.browse_from.value, dash.browse_to.value = 2, 4
    dash.browse_button.click()
    assert "#2" in dash.browser.value and "#4" in dash.browser.value
    assert "#5" not in dash.browser.value

    dash.nak_button.click()  # nothing fetched any more: shown in the status line, not raised
    assert "jslab-state-error" in dash.status.value
    dash.stop()
    assert not dash.running


def test_refresh_thread_and_pause(lab):
    dash = Dashboard(lab, "ORDERS", every=0.05)
    lab.publish("orders.new", "x")
    deadline = time.monotonic() + 5
    while "messages <b>1</b>" not in dash.counters.value:
        assert time.monotonic() < deadline, "the thread never refreshed the counters"
        time.sleep(0.02)
    dash.pause_toggle.value = True
    assert "jslab-state-paused" in dash.status.value
    time.sleep(0.1)
    lab.publish("orders.new", "y")
    time.sleep(0.3)
    assert "messages <b>1</b>" in dash.counters.value  # paused: nothing refreshed
    dash.pause_toggle.value = False
    deadline = time.monotonic() + 5
    while "messages <b>2</b>" not in dash.counters.value:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_display_bundle_is_deterministic(lab):
    dash = dashboard(lab, "ORDERS", every=10)
    bundle = dash._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == (
        "<Dashboard Stream ORDERS  (orders.>): seq 0..0, 0 messages, 1 consumers>")


def test_threads_stop_when_lab_closes():
    lab = jslab.start()
    lab.add_stream("S", subjects=["s"])
    dash = dashboard(lab, "S", every=0.05)
    assert dash.running
    lab.close()
    assert not dash.running
    assert not [t for t in threading.enumerate() if t.name.startswith("jslab-dashboard")]


def test_unknown_consumer(lab):
    with pytest.raises(jslab.ValidationError, match="no consumer 'nope'"):
        dashboard(lab, "ORDERS", consumer="nope")
