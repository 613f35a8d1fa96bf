"""Checks of 25-object-store: each fails until its exercise is done, also half done."""

from __future__ import annotations

import base64

from jslab import check


def _hint(exercise, lab):
    """The check's hint; it points at the concept and never spells out a call."""
    result = check.ex(exercise, lab)
    assert not result.passed
    assert "lab." not in result.message, result.message
    return result.message


def _link(lab, bucket, name, target_bucket, target=None):
    """The metadata message of a link (what nats.go's AddLink publishes)."""
    link = {"bucket": target_bucket, **({"name": target} if target else {})}
    meta = {"name": name, "bucket": bucket, "nuid": "L" * 22, "size": 0, "chunks": 0,
            "options": {"link": link}}
    subject = f"$O.{bucket}.M." + base64.urlsafe_b64encode(name.encode()).decode()
    lab.publish(subject, meta, headers={"Nats-Rollup": "sub"})


def test_photos_needs_100000_bytes_in_16k_chunks(lab):
    assert "no object store photos" in _hint("25.1", lab)
    photos = lab.create_object_store("photos")
    assert "no object cat.jpg" in _hint("25.1", lab)
    photos.put("cat.jpg", bytes(1000), chunk_size=16 * 1024)
    assert "holds 1,000 bytes" in _hint("25.1", lab)
    photos.put("cat.jpg", bytes(100_000))
    assert "chunks of 131,072 bytes" in _hint("25.1", lab)
    info = photos.put("cat.jpg", bytes(100_000), chunk_size=16 * 1024)
    result = check.ex("25.1", lab)
    assert result.passed, result.message
    assert "7 chunks" in result.message and "1,696 B" in result.message
    assert "holds 8 messages" in result.message
    first = int(lab.messages("OBJ_photos", subject=f"$O.photos.C.{info.nuid}").seq.iloc[0])
    lab.delete_msg("OBJ_photos", first)
    assert "only 6 of the 7" in _hint("25.1", lab)
    photos.delete("cat.jpg")
    assert "is deleted" in _hint("25.1", lab)


def test_docs_needs_description_header_and_a_deleted_draft(lab):
    assert "no object store docs" in _hint("25.2", lab)
    docs = lab.create_object_store("docs")
    assert "no object readme.md" in _hint("25.2", lab)
    docs.put("readme.md", "# Start")
    assert "description is None" in _hint("25.2", lab)
    docs.put("readme.md", "# Start", description="how to start")
    assert "Content-Type" in _hint("25.2", lab)
    docs.put("readme.md", "# Start", description="how to start",
             headers={"Content-Type": "text/markdown"})
    assert "no draft.md" in _hint("25.2", lab)
    docs.put("draft.md", "wip")
    assert "still stored (1 chunk" in _hint("25.2", lab)
    docs.delete("draft.md")
    result = check.ex("25.2", lab)
    assert result.passed, result.message
    assert "holds 3 messages" in result.message


def test_releases_needs_object_link_and_seal(lab):
    assert "no object store releases" in _hint("25.3", lab)
    releases = lab.create_object_store("releases")
    assert "no object v1.0.tar" in _hint("25.3", lab)
    releases.put("v1.0.tar", b"\x00" * 100)
    assert "no link latest" in _hint("25.3", lab)
    releases.put("latest", b"copy")
    assert "regular object" in _hint("25.3", lab)
    releases.delete("latest")  # a link must not take the name of a live object (its chunks)
    assert "no link latest" in _hint("25.3", lab)
    _link(lab, "releases", "latest", "archive", "v1.0.tar")
    assert "points to archive/v1.0.tar" in _hint("25.3", lab)
    _link(lab, "releases", "latest", "releases", "v1.0.tar")
    assert "still accepts writes" in _hint("25.3", lab)
    releases.seal()
    result = check.ex("25.3", lab)
    assert result.passed, result.message
    assert "sealed with 3 messages" in result.message


def test_releases_sealed_too_early_says_to_start_again(lab):
    releases = lab.create_object_store("releases")
    releases.put("v1.0.tar", b"\x00" * 100)
    releases.seal()
    hint = _hint("25.3", lab)
    assert "no link latest" in hint and "start again" in hint
