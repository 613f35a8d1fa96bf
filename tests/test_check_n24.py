"""Checks of 24-key-value: each fails until its exercise is done, also half done."""

from __future__ import annotations

import pytest

from jslab import check
from jslab.errors import JetStreamError


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message and "kv." not in result.message, result.message
    return result.message


def test_settings_needs_four_revisions_and_six_writes(lab):
    assert "no bucket settings" in _hint("24.1", lab)
    lab.create_kv("settings", history=2)
    assert "history setting" in _hint("24.1", lab)
    lab.delete_kv("settings")
    kv = lab.create_kv("settings", history=4)
    assert "no key theme" in _hint("24.1", lab)
    for i in range(3):
        kv.put("theme", f"t{i}")
    assert "written 3 time(s)" in _hint("24.1", lab)
    for i in range(3, 6):
        kv.put("theme", f"t{i}")
    result = check.ex("24.1", lab)
    assert result.passed, result.message
    assert "(3 to 6)" in result.message


def test_carts_needs_a_delete_and_a_purge(lab):
    assert "no bucket carts" in _hint("24.2", lab)
    kv = lab.create_kv("carts", history=5)
    for item in "abc":
        kv.put("cart.1", item)
    assert "no cart.2" in _hint("24.2", lab)
    kv.put("cart.2", "x")
    kv.put("cart.2", "y")
    assert "still reads as a value" in _hint("24.2", lab)
    kv.delete("cart.1")
    kv.delete("cart.2")
    assert "delete marker, so its old values" in _hint("24.2", lab)
    kv.purge("cart.2")
    result = check.ex("24.2", lab)
    assert result.passed, result.message
    assert "holds 5 messages" in result.message


def test_carts_refuses_a_purged_cart_1(lab):
    kv = lab.create_kv("carts", history=5)
    for item in "abc":
        kv.put("cart.1", item)
    kv.put("cart.2", "x")
    kv.put("cart.2", "y")
    kv.purge("cart.1")
    assert "lost its history" in _hint("24.2", lab)


def test_seats_needs_create_then_update_at_the_read_revision(lab):
    assert "no bucket seats" in _hint("24.3", lab)
    kv = lab.create_kv("seats")
    assert "no key seat.12a" in _hint("24.3", lab)
    kv.put("seat.12a", "free")
    assert "plain write" in _hint("24.3", lab)
    lab.delete_kv("seats")
    kv = lab.create_kv("seats")
    rev = kv.create("seat.12a", "free")
    assert "still \"free\"" in _hint("24.3", lab)
    kv.put("seat.12a", "alice")
    assert "plain write" in _hint("24.3", lab)
    kv.update("seat.12a", "alice", last=rev + 1)
    result = check.ex("24.3", lab)
    assert result.passed, result.message
    with pytest.raises(JetStreamError) as caught:
        kv.update("seat.12a", "bob", last=rev + 1)
    assert caught.value.err_code == 10071
    assert check.ex("24.3", lab).passed


def test_seats_refuses_a_stale_claim_that_was_stored(lab):
    kv = lab.create_kv("seats")
    rev = kv.create("seat.12a", "free")
    kv.update("seat.12a", "alice", last=rev)
    kv.put("seat.12a", "bob")  # bob overwrote alice: a plain write checks nothing
    assert "holds 'bob'" in _hint("24.3", lab)
