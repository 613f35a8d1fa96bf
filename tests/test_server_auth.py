"""LocalServer credentials: user/password, token and NKey users, a 0600 config, and the rule
that a server reachable from the network needs credentials. Real servers; loopback traffic."""

from __future__ import annotations

import asyncio
import os
import stat

import nats
import nkeys
import pytest

from jslab.server import LocalServer, ServerConfigError, ServerError


async def _quiet(_: Exception) -> None:
    """error_cb: nats-py otherwise prints every refused connect to stderr."""


async def _account_streams(url: str, **auth: str) -> int:
    nc = await nats.connect(url, allow_reconnect=False, connect_timeout=2, error_cb=_quiet,
                            **auth)
    try:
        return (await nc.jetstream().account_info()).streams
    finally:
        await nc.close()


async def _connect_error(url: str, **auth: str) -> str:
    nc = nats.NATS()
    try:
        await nc.connect(url, allow_reconnect=False, connect_timeout=2, error_cb=_quiet, **auth)
    except nats.errors.Error as e:
        return str(e)
    finally:
        await nc.close()  # a refused connect leaves its socket open otherwise
    return "connected"


def _refused(url: str, **auth: str) -> str:
    return asyncio.run(_connect_error(url, **auth))


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_user_and_password_are_required_and_readiness_still_works():
    password = 'p"a\\ss $word {x}'  # quotes, backslash, dollar and braces survive the config
    with LocalServer(user="alice", password=password) as srv:
        assert srv.startup_ms is not None and srv.healthz() == {"status": "ok"}
        assert srv.credentials == {"user": "alice", "password": password}
        assert asyncio.run(_account_streams(srv.url, **srv.credentials)) == 0
        assert "Authorization Violation" in _refused(srv.url)
        assert "Authorization Violation" in _refused(srv.url, user="alice", password="wrong")
        assert password not in srv.url and password not in repr(srv)


def test_token():
    with LocalServer(token="s3cret-token") as srv:
        assert srv.credentials == {"token": "s3cret-token"}
        assert asyncio.run(_account_streams(srv.url, token="s3cret-token")) == 0
        assert "Authorization Violation" in _refused(srv.url, token="other")


def test_nkey_user_connects_with_its_seed_file(tmp_path):
    # A user NKey made with the nkeys package that nats-py uses for NKeys and creds files.
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    public = nkeys.from_seed(bytearray(seed)).public_key.decode()
    assert seed.startswith(b"SU") and public.startswith("U")
    seed_file = tmp_path / "user.nk"
    seed_file.write_bytes(seed)
    seed_file.chmod(0o600)
    with LocalServer(nkey=public) as srv:
        assert srv.credentials == {}  # the server never sees the seed
        assert asyncio.run(_account_streams(srv.url, nkeys_seed=str(seed_file))) == 0
        assert asyncio.run(_account_streams(srv.url, nkeys_seed_str=seed.decode())) == 0
        other = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER).decode()
        assert "Authorization Violation" in _refused(srv.url, nkeys_seed_str=other)
        assert "Authorization Violation" in _refused(srv.url)


def test_nkey_and_user_together():
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    public = nkeys.from_seed(bytearray(seed)).public_key.decode()
    with LocalServer(user="bob", password="pw", nkey=public) as srv:
        assert asyncio.run(_account_streams(srv.url, user="bob", password="pw")) == 0
        assert asyncio.run(_account_streams(srv.url, nkeys_seed_str=seed.decode())) == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"user": "alice"}, "together"),
        ({"password": "pw"}, "together"),
        ({"user": "", "password": "pw"}, "non-empty"),
        ({"token": "t", "user": "a", "password": "p"}, "token= cannot be combined"),
        ({"nkey": "SUAB" + "A" * 52}, "That is a seed"),
        ({"nkey": "not-a-key"}, "public NKey"),
        ({"host": "0.0.0.0"}, "reachable from the network"),
        ({"host": "::"}, "reachable from the network"),
        ({"host": "192.168.1.10"}, "reachable from the network"),
    ],
)
def test_bad_auth_arguments_are_refused_before_anything_starts(kwargs, match):
    with pytest.raises(ServerConfigError, match=match) as err:
        LocalServer(**kwargs)
    assert isinstance(err.value, ServerError) and isinstance(err.value, ValueError)


def test_loopback_hosts_need_no_credentials():
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        LocalServer(host=host).close()


def test_all_interfaces_with_credentials_keeps_monitoring_on_loopback():
    with LocalServer(host="0.0.0.0", user="alice", password="pw") as srv:
        varz = srv.varz()
        assert varz["host"] == "0.0.0.0" and varz["http_host"] == "127.0.0.1"
        assert srv.url.startswith("nats://127.0.0.1:") and srv.monitor_host == "127.0.0.1"
        assert asyncio.run(_account_streams(srv.url, user="alice", password="pw")) == 0
        assert "Authorization Violation" in _refused(srv.url)


def test_the_config_is_private_in_temp_and_given_store_dirs(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    config = store / "nats-server.conf"
    config.write_text("# left by an older version\n")
    config.chmod(0o644)
    with LocalServer(store, user="alice", password="pw") as srv:
        assert srv.config_path == config
        assert _mode(config) == 0o600 and '"pw"' in config.read_text()
        srv.restart()
        assert _mode(config) == 0o600
    with LocalServer() as srv:
        assert _mode(srv.config_path) == 0o600
