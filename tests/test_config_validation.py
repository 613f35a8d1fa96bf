"""Stream and consumer configs: every field checked before a request, nested ones included."""

from __future__ import annotations

import datetime as dt

import pytest
from nats.js import api

from jslab.config import consumer_config, stream_config
from jslab.errors import JetStreamError, JslabError, JslabTypeError, ValidationError

NAN, INF = float("nan"), float("inf")
V = ValidationError
T = JslabTypeError
UTC = dt.timezone.utc


def _raises(kind, call, *fragments):
    with pytest.raises(JslabError) as info:
        call()
    err = info.value
    assert isinstance(err, kind), f"{type(err).__name__}: {err}"
    for fragment in fragments:
        assert fragment in str(err), f"{fragment!r} not in {str(err)!r}"
    return str(err)


# (field, value, error type, fragment besides the field name)
BAD_STREAM = [
    ("max_msgs", NAN, T, "integer"),
    ("max_msgs", 1.5, T, "float"),
    ("max_msgs", True, T, "bool"),
    ("max_msgs", "10", T, "integer"),
    ("max_msgs", -5, V, "-1 for unlimited"),
    ("max_msgs", 0, V, "unlimited"),
    ("max_msgs", 2**63, V, "signed 64-bit"),
    ("max_bytes", -2, V, "-1 for unlimited"),
    ("max_bytes", 2**64, V, "signed 64-bit"),
    ("max_bytes", INF, T, "float"),
    ("max_msgs_per_subject", 0, V, "unlimited"),
    ("max_msgs_per_subject", False, T, "bool"),
    ("max_msg_size", 2**31, V, "signed 32-bit"),
    ("max_msg_size", -3, V, "-1 for unlimited"),
    ("max_consumers", 10**20, V, "64-bit"),
    ("max_consumers", "many", T, "integer"),
    ("max_age", NAN, V, "NaN"),
    ("max_age", INF, V, "infinite"),
    ("max_age", -1, V, "negative"),
    ("max_age", 1e-10, V, "1 ns"),
    ("max_age", 0.05, V, "100 ms"),
    ("max_age", 1e12, V, "292 years"),
    ("max_age", "1h", T, "timedelta"),
    ("max_age", True, T, "bool"),
    ("max_age", dt.timedelta(seconds=-5), V, "negative"),
    ("duplicate_window", -0.5, V, "negative"),
    ("duplicate_window", 0.01, V, "100 ms"),
    ("duplicate_window", NAN, V, "NaN"),
    ("subject_delete_marker_ttl", 0.5, V, "1 second"),
    ("subject_delete_marker_ttl", -1, V, "negative"),
    ("num_replicas", 7, V, "at most 5"),
    ("num_replicas", -1, V, "negative"),
    ("num_replicas", 3.0, T, "float"),
    ("first_seq", -1, V, "negative"),
    ("first_seq", 2**64, V, "unsigned 64-bit"),
    ("first_seq", "1", T, "integer"),
    ("retention", "forever", V, "workqueue"),
    ("retention", 3, T, "int"),
    ("storage", "disk", V, "'file'"),
    ("discard", "oldest", V, "'old'"),
    ("compression", "gzip", V, "'s2'"),
    ("sealed", "yes", T, "True or False"),
    ("deny_delete", 1, T, "True or False"),
    ("allow_msg_ttl", 0, T, "True or False"),
    ("description", 42, T, "str"),
    ("description", "x" * 5000, V, "4,096"),
    ("metadata", ["a"], T, "dict"),
    ("metadata", {"a": 1}, T, "text to text"),
    ("metadata", {1: "a"}, T, "key"),
    ("metadata", {"big": "x" * 200_000}, V, "131,072"),
    ("placement", {"bogus": 1}, V, "no field 'bogus'"),
    ("placement", {"clustr": "east"}, V, "Did you mean 'cluster'"),
    ("placement", {"tags": "ssd"}, T, "list"),
    ("placement", {"cluster": 5}, T, "str"),
    ("placement", "east", T, "dict"),
    ("republish", {"src": "a.>", "dst": "b.>"}, V, "Did you mean 'dest'"),
    ("republish", {"src": "a.>"}, V, "needs 'dest'"),
    ("republish", {"dest": "b.>", "headers_only": "yes"}, T, "True or False"),
    ("republish", {"src": "a..b", "dest": "b.>"}, V, "'..'"),
    ("subject_transform", {"src": "a.>"}, V, "needs 'dest'"),
    ("subject_transform", {"source": "a.>", "dest": "b.>"}, V, "no field 'source'"),
    ("subject_transform", {"src": "a.>", "dest": "b c"}, V, "whitespace"),
    ("mirror", {"nme": "ORDERS"}, V, "Did you mean 'name'"),
    ("mirror", {"filter_subject": "a.>"}, V, "needs 'name'"),
    ("mirror", {"name": "my orders"}, V, "contains a space"),
    ("mirror", {"name": "ORDERS", "opt_start_time": "not a date"}, V, "2030-01-01T12:00:00Z"),
    ("mirror", {"name": "ORDERS", "opt_start_seq": -1}, V, "negative"),
    ("mirror", {"name": "ORDERS", "opt_start_seq": 1.0}, T, "float"),
    ("mirror", {"name": "ORDERS", "external": {"apii": "$JS.hub.API"}}, V, "'api'"),
    ("mirror", {"name": "ORDERS", "external": {"deliver": "x"}}, V, "needs 'api'"),
    ("mirror", {"name": "ORDERS", "domain": "hub"}, V, "no field 'domain'"),
    ("mirror", {"name": "ORDERS", "subject_transforms": [{"src": "a.>", "dst": "b.>"}]}, V,
     "'dest'"),
    ("mirror", {"name": "ORDERS", "filter_subject": "a b"}, V, "whitespace"),
    ("sources", {"name": "ORDERS"}, T, "list"),
    ("sources", [{"name": "A"}, {"nmae": "B"}], V, "sources[1]"),
    ("sources", [{"name": "A", "opt_start_time": "tomorrow"}], V, "sources[0].opt_start_time"),
    ("sources", ["ORDERS"], T, "dict"),
    ("consumer_limits", {"max_ack_pending": -1}, V, "negative"),
    ("consumer_limits", {"inactive_threshold": NAN}, V, "NaN"),
    ("consumer_limits", {"max_ack_pendng": 5}, V, "Did you mean 'max_ack_pending'"),
]


@pytest.mark.parametrize(("field", "value", "kind", "fragment"), BAD_STREAM)
def test_bad_stream_fields(field, value, kind, fragment):
    _raises(kind, lambda: stream_config("ORDERS", ["orders.>"], **{field: value}), field,
            fragment)


BAD_STREAM_SUBJECTS = [
    (5, T, "list"),
    ({"orders.>": 1}, T, "list"),
    (["orders.>", "orders.>"], V, "twice"),
    (["orders..x"], V, "'..'"),
    ([42], T, "int"),
]


@pytest.mark.parametrize(("subjects", "kind", "fragment"), BAD_STREAM_SUBJECTS)
def test_bad_stream_subjects(subjects, kind, fragment):
    _raises(kind, lambda: stream_config("ORDERS", subjects), "subject", fragment)


BAD_CONSUMER = [
    ("ack_wait", NAN, V, "NaN"),
    ("ack_wait", -0.5, V, "negative"),
    ("ack_wait", INF, V, "infinite"),
    ("ack_wait", 1e-12, V, "1 ns"),
    ("ack_wait", "30s", T, "timedelta"),
    ("max_deliver", 0, V, "unlimited"),
    ("max_deliver", -2, V, "-1 for unlimited"),
    ("max_deliver", 2**63, V, "signed 64-bit"),
    ("max_deliver", 3.0, T, "float"),
    ("max_ack_pending", 0, V, "1000"),
    ("max_ack_pending", True, T, "bool"),
    ("max_ack_pending", 2**70, V, "64-bit"),
    ("max_waiting", -1, V, "negative"),
    ("max_waiting", "512", T, "integer"),
    ("inactive_threshold", -1, V, "negative"),
    ("inactive_threshold", NAN, V, "NaN"),
    ("idle_heartbeat", 0.01, V, "100 ms"),
    ("idle_heartbeat", -1, V, "negative"),
    ("backoff", [1, -2], V, "backoff[1]"),
    ("backoff", [1, NAN], V, "NaN"),
    ("backoff", [INF], V, "infinite"),
    ("backoff", [0], V, "positive"),
    ("backoff", [1e-12], V, "1 ns"),
    ("backoff", ["1s"], T, "backoff[0]"),
    ("backoff", [True], T, "bool"),
    ("backoff", 5, T, "list"),
    ("opt_start_seq", -1, V, "negative"),
    ("opt_start_seq", 2**64, V, "unsigned 64-bit"),
    ("opt_start_seq", 3.0, T, "float"),
    ("opt_start_time", "not a date", V, "2030-01-01T12:00:00Z"),
    ("opt_start_time", "tomorrow", V, "ISO-8601"),
    ("opt_start_time", 1_700_000_000, T, "ambiguous"),
    ("opt_start_time", dt.date(2030, 1, 1), T, "without a time"),
    ("pause_until", "soon", V, "ISO-8601"),
    ("rate_limit_bps", -1, V, "negative"),
    ("rate_limit_bps", 2**64, V, "unsigned 64-bit"),
    ("num_replicas", 6, V, "at most 5"),
    ("sample_freq", "200%", V, "0 to 100"),
    ("sample_freq", 1.5, T, "percentage"),
    ("deliver_subject", "deliver.*", V, "wildcard"),
    ("deliver_subject", 5, T, "int"),
    ("deliver_group", "two words", V, "whitespace"),
    ("deliver_policy", "first", V, "'all'"),
    ("ack_policy", "auto", V, "'explicit'"),
    ("replay_policy", "fast", V, "'instant'"),
    ("flow_control", "on", T, "True or False"),
    ("headers_only", 1, T, "True or False"),
    ("metadata", {"k": None}, T, "metadata['k']"),
    ("metadata", "k=v", T, "dict"),
    ("description", ["x"], T, "str"),
    ("filter_subjects", [5], T, "int"),
    ("filter_subjects", ["a..b"], V, "'..'"),
    ("filter_subject", "a b", V, "whitespace"),
    ("max_batch", 0, V, "max_batch=0 is below 1"),
    ("max_bacth", 10, V, "a consumer has no field 'max_bacth'"),
    ("ack_wiat", 10, V, "Did you mean 'ack_wait'"),
]


@pytest.mark.parametrize(("field", "value", "kind", "fragment"), BAD_CONSUMER)
def test_bad_consumer_fields(field, value, kind, fragment):
    _raises(kind, lambda: consumer_config("ORDERS", "worker", **{field: value}), field, fragment)


def test_enough_bad_inputs_are_covered():
    assert len(BAD_STREAM) + len(BAD_STREAM_SUBJECTS) + len(BAD_CONSUMER) >= 80


# --- good input: what the server receives is exactly what was asked ------------------------------


def test_durations_reach_the_server_as_exact_nanoseconds():
    cfg = stream_config("ORDERS", ["orders.>"], max_age=0.57, duplicate_window=dt.timedelta(
        milliseconds=300), subject_delete_marker_ttl=1)
    sent = cfg.as_dict()
    assert sent["max_age"] == 570_000_000  # int(0.57 * 1e9) alone would give 569999999
    assert sent["duplicate_window"] == 300_000_000
    assert sent["subject_delete_marker_ttl"] == 1_000_000_000
    cc = consumer_config("ORDERS", "w", backoff=[0.57, 2], ack_wait=0.29)
    assert cc.as_dict()["backoff"] == [570_000_000, 2_000_000_000]
    assert cc.as_dict()["ack_wait"] == 290_000_000


def test_zero_and_unlimited_are_kept():
    cfg = stream_config("ORDERS", ["orders.>"], max_age=0, max_msgs=-1, max_msg_size=-1,
                        first_seq=0, num_replicas=0)
    assert (cfg.max_age, cfg.max_msgs, cfg.max_msg_size) == (0.0, -1, -1)
    assert consumer_config("ORDERS", "w", max_deliver=-1, max_ack_pending=-1).max_deliver == -1


def test_nested_dicts_become_nats_objects():
    cfg = stream_config(
        "ORDERS", ["orders.>"],
        placement={"cluster": "east", "tags": ["ssd"]},
        republish={"src": "orders.>", "dest": "copy.orders.>", "headers_only": True},
        subject_transform={"src": "orders.>", "dest": "orders.>"},
        sources=[{"name": "EU", "opt_start_time": "2030-01-01T12:00:00Z",
                  "subject_transforms": [{"src": "eu.>", "dest": "orders.eu.>"}],
                  "external": {"api": "$JS.hub.API", "deliver": "deliver.hub"}}],
        consumer_limits={"max_ack_pending": 100, "inactive_threshold": 60},
        metadata={"owner": "billing"},
    )
    assert isinstance(cfg.placement, api.Placement) and cfg.placement.tags == ["ssd"]
    assert isinstance(cfg.republish, api.RePublish) and cfg.republish.headers_only is True
    source = cfg.sources[0]
    assert isinstance(source, api.StreamSource)
    assert source.opt_start_time == dt.datetime(2030, 1, 1, 12, tzinfo=UTC)
    assert isinstance(source.subject_transforms[0], api.SubjectTransform)
    assert isinstance(source.external, api.ExternalStream)
    assert cfg.as_dict()["consumer_limits"] == {"max_ack_pending": 100,
                                                "inactive_threshold": 60_000_000_000}


def test_nats_objects_are_checked_like_dicts():
    good = stream_config("ORDERS", ["orders.>"], mirror=api.StreamSource(name="EU"))
    assert good.mirror.name == "EU"
    _raises(V, lambda: stream_config("M", mirror=api.StreamSource(name="E U")), "mirror.name")
    _raises(V, lambda: stream_config("M", mirror=api.StreamSource(
        name="EU", opt_start_time="never")), "mirror.opt_start_time")


def test_times_become_aware_utc():
    naive = dt.datetime(2030, 1, 1, 12)
    cc = consumer_config("ORDERS", "w", deliver_policy="by_start_time", opt_start_time=naive)
    assert cc.opt_start_time == naive.astimezone(UTC)
    pause = consumer_config("ORDERS", "w", pause_until="2030-01-01T14:00:00+02:00").pause_until
    assert pause == "2030-01-01T12:00:00Z"


# --- against a real server: a refused config changes nothing ------------------------------------


def _state(lab) -> dict:
    out = {}
    for name in lab.stream_names():
        info = lab.stream_info(name)
        out[name] = (info.config.as_dict(), tuple(sorted(lab.consumer_names(name))))
    return out


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_age": 1e-10},
        {"max_msgs": 2**63},
        {"placement": {"bogus": 1}},
        {"mirror": {"name": "KEEP", "opt_start_time": "not a date"}},
        {"duplicate_window": NAN},
    ],
)
def test_refused_add_stream_leaves_the_server_unchanged(lab, kwargs):
    lab.add_stream("KEEP", subjects=["keep.>"])
    before = _state(lab)
    with pytest.raises((ValidationError, JslabTypeError)) as info:
        lab.add_stream("NEW", subjects=["new.>"], **kwargs)
    assert not isinstance(info.value, JetStreamError)  # refused before any request
    assert next(iter(kwargs)) in str(info.value)
    assert _state(lab) == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"opt_start_time": "not a date", "deliver_policy": "by_start_time"},
        {"backoff": [1, NAN]},
        {"ack_wait": -1},
        {"max_deliver": 0},
        {"metadata": {"k": 1}},
    ],
)
def test_refused_add_consumer_leaves_the_server_unchanged(lab, kwargs):
    lab.add_stream("KEEP", subjects=["keep.>"])
    lab.add_consumer("KEEP", "c")
    before = _state(lab)
    with pytest.raises((ValidationError, JslabTypeError)) as info:
        lab.add_consumer("KEEP", "new", **kwargs)
    assert next(iter(kwargs)) in str(info.value)
    assert _state(lab) == before


def test_refused_update_leaves_the_stream_unchanged(lab):
    lab.add_stream("KEEP", subjects=["keep.>"], max_age=60)
    before = _state(lab)
    with pytest.raises(ValidationError, match="max_age"):
        lab.update_stream("KEEP", max_age=1e-10)
    assert _state(lab) == before


def test_server_configs_pass_the_checks_on_update(lab):
    """What the server answers (defaults, its metadata, nested objects) goes back through."""
    lab.add_stream("SRC", subjects=["src.>"], max_age=0.57, metadata={"team": "a"},
                   republish={"src": "src.>", "dest": "rep.>"},
                   consumer_limits={"max_ack_pending": 50})
    lab.add_stream("MIR", mirror={"name": "SRC", "opt_start_time": dt.datetime.now(UTC)})
    assert lab.update_stream("SRC", max_msgs=10).config.max_msgs == 10
    assert lab.update_stream("MIR", max_msgs=5).config.mirror.name == "SRC"
    assert lab.stream_info("SRC").config.max_age == 0.57
    lab.add_consumer("SRC", "c", backoff=[0.57, 2], max_deliver=5, max_ack_pending=7,
                     deliver_policy="by_start_time", opt_start_time=dt.datetime.now(UTC))
    info = lab.update_consumer("SRC", "c", max_ack_pending=9)
    assert info.config.max_ack_pending == 9
    assert info.config.backoff == [0.57, 2.0]


def test_mapping_functions_may_hold_spaces_the_subject_may_not():
    from jslab.config import stream_config

    ok = stream_config("T", ["tasks.*"], subject_transform={
        "src": "tasks.*", "dest": "tasks.{{ partition(3,1) }}.{{wildcard(1)}}"})
    assert ok.subject_transform.dest == "tasks.{{ partition(3,1) }}.{{wildcard(1)}}"
    with pytest.raises(ValidationError, match="without whitespace outside its mapping"):
        stream_config("T", ["tasks.*"], subject_transform={"src": "tasks.*", "dest": "a b.>"})
