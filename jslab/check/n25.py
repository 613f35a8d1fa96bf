"""Checks for 25-object-store.

    >>> jslab.check.ex("25.1", lab)
    ✓ 25.1 passed: cat.jpg is 7 chunks (6 of 16,384 B and one of 1,696 B) and one metadata ...

The checks read the bucket's stream directly (metadata messages by subject, chunk counts per
subject), so they see what the server stores, whichever client wrote it.
"""

from __future__ import annotations

import base64
from typing import Any

from ..errors import MessageNotFoundError, StreamNotFoundError
from . import NotYet, exercise


def _meta_subject(bucket: str, name: str) -> str:
    return f"$O.{bucket}.M." + base64.urlsafe_b64encode(name.encode()).decode()


def _bucket(lab, bucket: str) -> Any:
    try:
        return lab.stream_info(f"OBJ_{bucket}", subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet(f"there is no object store {bucket} yet (its stream would be "
                     f"OBJ_{bucket}): create the bucket first (section 'A bucket is a "
                     "stream').") from None


def _meta(lab, bucket: str, name: str) -> dict | None:
    """The object's last metadata message (JSON), or None when there is none."""
    try:
        data = lab.get_last_msg(f"OBJ_{bucket}", _meta_subject(bucket, name)).data
    except MessageNotFoundError:
        return None
    if not isinstance(data, dict):
        raise NotYet(f"the metadata message of {name} in {bucket} is not an object's JSON "
                     "metadata: write objects with the store's own calls.")
    return data


def _object(lab, bucket: str, name: str, how: str) -> dict:
    meta = _meta(lab, bucket, name)
    if meta is None:
        raise NotYet(f"{bucket} holds no object {name} yet: {how}.")
    if meta.get("deleted"):
        raise NotYet(f"{name} in {bucket} is deleted: {how}.")
    return meta


def _chunks_stored(info, bucket: str, meta: dict) -> int:
    subjects = info.state.subjects or {}
    return subjects.get(f"$O.{bucket}.C.{meta.get('nuid')}", 0)


def _header(headers: Any, key: str) -> list[str]:
    """A header's values; nats-py writes a str per key, the ADR (and nats.go) a list."""
    for k, v in (headers or {}).items():
        if k.lower() == key.lower():
            return list(v) if isinstance(v, list) else [v]
    return []


@exercise("25.1", "photos/cat.jpg: 100,000 bytes in 16 KiB chunks")
def chunks(lab) -> str:
    _bucket(lab, "photos")
    meta = _object(lab, "photos", "cat.jpg", "put exactly 100,000 bytes under that name")
    if meta.get("size") != 100_000:
        raise NotYet(f"cat.jpg holds {meta.get('size'):,} bytes; it should hold exactly "
                     "100,000 (putting again under the same name replaces it).")
    size = (meta.get("options") or {}).get("max_chunk_size")
    if size != 16 * 1024:
        said = f"chunks of {size:,} bytes" if size else "chunks of the default size"
        raise NotYet(f"cat.jpg was cut into {said}; the exercise wants 16 KiB = 16,384 bytes. "
                     "The chunk size is chosen per put (section 'Chunks on a stream'): put it "
                     "again.")
    info = _bucket(lab, "photos")
    stored = _chunks_stored(info, "photos", meta)
    if stored != meta.get("chunks"):
        raise NotYet(f"only {stored} of the {meta.get('chunks')} chunk messages of cat.jpg are "
                     "stored: a chunk was removed from the stream. Put the object again.")
    last = 100_000 - (stored - 1) * 16 * 1024
    return (f"cat.jpg is {stored} chunks ({stored - 1} of 16,384 B and one of {last:,} B) and "
            f"one metadata message; OBJ_photos holds {info.state.messages} messages.")


@exercise("25.2", "docs: a described readme.md and a deleted draft.md")
def described(lab) -> str:
    _bucket(lab, "docs")
    readme = _object(lab, "docs", "readme.md", "put a short text under that name")
    if readme.get("description") != "how to start":
        raise NotYet(f"readme.md's description is {readme.get('description')!r}; it should be "
                     "'how to start'. The description travels with the put (section "
                     "'Metadata'): put readme.md again with it.")
    if "text/markdown" not in _header(readme.get("headers"), "Content-Type"):
        raise NotYet("readme.md has no header Content-Type: text/markdown; headers travel with "
                     "the put, like the description (section 'Metadata').")
    draft = _meta(lab, "docs", "draft.md")
    if draft is None:
        raise NotYet("docs has no draft.md: put one, then delete it.")
    info = _bucket(lab, "docs")
    if not draft.get("deleted"):
        raise NotYet(f"draft.md is still stored ({_chunks_stored(info, 'docs', draft)} chunk "
                     "message(s)): delete it (section 'delete').")
    return (f"OBJ_docs holds {info.state.messages} messages: readme.md's chunk(s) and "
            "metadata, and the marker that says draft.md is deleted (its chunks are gone).")


@exercise("25.3", "releases: v1.0.tar, a link latest to it, sealed")
def sealed(lab) -> str:
    info = _bucket(lab, "releases")
    is_sealed = bool(info.config.sealed)
    restart = (" The bucket is sealed already, so nothing can be added: delete the bucket and "
               "start again (the seal comes last).") if is_sealed else ""
    release = _meta(lab, "releases", "v1.0.tar")
    if release is None or release.get("deleted"):
        raise NotYet("releases holds no object v1.0.tar: put any bytes under that name." +
                     restart)
    latest = _meta(lab, "releases", "latest")
    if latest is None or latest.get("deleted"):
        raise NotYet("releases has no link latest yet: a link is a metadata message without "
                     "chunks whose options name the target (section 'Links')." + restart)
    link = (latest.get("options") or {}).get("link")
    if not link:
        raise NotYet("latest is a regular object with chunks, not a link to v1.0.tar "
                     "(section 'Links')." + restart)
    if (link.get("bucket"), link.get("name")) != ("releases", "v1.0.tar"):
        target = f"{link.get('bucket')}/{link.get('name') or '(whole bucket)'}"
        raise NotYet(f"latest points to {target}; it should point to releases/v1.0.tar." +
                     restart)
    if not is_sealed:
        raise NotYet("releases still accepts writes: seal it (section 'Sealing').")
    return (f"releases is sealed with {info.state.messages} messages: v1.0.tar and the link "
            "latest -> v1.0.tar are read-only for ever.")
