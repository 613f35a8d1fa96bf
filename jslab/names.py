"""Names and subjects checked before any request, with JetStream's rules explained.

    >>> check_stream_name("ORDERS")
    'ORDERS'
    >>> subjects_overlap("orders.*", "orders.new"), subject_matches("orders.>", "orders.eu.new")
    (True, True)

A bad stream name would otherwise fail late and obscurely: a name with '.' becomes extra
tokens of `$JS.API.STREAM.CREATE.<name>` and the request simply times out.
"""

from __future__ import annotations

import re

from .errors import JslabTypeError, ValidationError

__all__ = [
    "CONTROL_LINE_LIMIT",
    "CONTROL_LINE_ROOM",
    "MAX_NAME_BYTES",
    "MAX_SUBJECT_BYTES",
    "check_bucket_name",
    "check_consumer_name",
    "check_filter_subject",
    "check_kv_key",
    "check_publish_subject",
    "check_stream_name",
    "check_subject",
    "check_subject_length",
    "max_subject_bytes",
    "subject_matches",
    "subjects_overlap",
]

#: nats-server's JSMaxNameLen: stream and consumer names are at most 255 bytes (UTF-8).
MAX_NAME_BYTES = 255

#: nats-server's default max_control_line (bytes). A client whose protocol line is longer, e.g.
#: ``HPUB <subject> <reply> <header size> <total size>``, gets -ERR and its connection closed
#: (nats-py then stays closed). The limit is a server setting and is not announced in INFO.
CONTROL_LINE_LIMIT = 4096
#: Bytes a publish line needs besides the subject, rounded up: the verb ``HPUB `` (5), the
#: separators (3) and CRLF (2), the reply subject (nats-py's longest inbox is 56 bytes,
#: ``_INBOX.<22-char nuid>.<22-char nuid><4 hex>``, with room for a longer custom inbox prefix:
#: 80) and two sizes (at most 10 digits each: 20). 5 + 3 + 2 + 80 + 20 = 110, kept at 120.
CONTROL_LINE_ROOM = 120


def max_subject_bytes(control_line_limit: int = CONTROL_LINE_LIMIT) -> int:
    """The longest subject (UTF-8 bytes) a publish line leaves room for.

        >>> max_subject_bytes(), max_subject_bytes(8192)
        (3976, 8072)
    """
    return control_line_limit - CONTROL_LINE_ROOM


#: The longest subject the kit sends to a server with the default control line: 3976 bytes.
MAX_SUBJECT_BYTES = max_subject_bytes()

_WHITESPACE = re.compile(r"\s")
_BUCKET_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _suggest_name(name: str, *, upper: bool) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "ORDERS"
    cleaned = cleaned[:32]
    return cleaned.upper() if upper else cleaned


def _require_str(value: object, what: str, example: str) -> str:
    if not isinstance(value, str):
        raise JslabTypeError(
            f"{what} must be a str, got {type(value).__name__} {value!r}. "
            f"Pass text, e.g. {example!r}."
        )
    return value


def _check_name(name: object, kind: str, api: str, *, upper: bool, example: str) -> str:
    what = f"{kind} name"
    name = _require_str(name, what, example)
    why = (
        f"{kind} names become subject tokens in the API ({api}) and directory names on the "
        "server, so they cannot contain whitespace, '.', '*', '>', '/' or '\\'"
    )
    problem = None
    if name == "":
        problem = "is empty"
    elif _WHITESPACE.search(name):
        problem = "contains a space" if " " in name else "contains whitespace"
    elif "." in name:
        problem = "contains '.'"
    elif "*" in name or ">" in name:
        problem = "contains a wildcard ('*' or '>')"
    elif "/" in name or "\\" in name:
        problem = "contains a path separator ('/' or '\\')"
    elif not name.isprintable():
        problem = "contains a non-printable character"
    if problem:
        suggestion = _suggest_name(name, upper=upper) if name else example
        raise ValidationError(f"{what} {name!r} {problem}: {why}. Try {suggestion!r}.")
    size = len(name.encode())
    if size > MAX_NAME_BYTES:
        raise ValidationError(
            f"{what} is {size} bytes long: nats-server limits {kind} names to "
            f"{MAX_NAME_BYTES} bytes. Use a shorter name, e.g. {name[:32]!r}."
        )
    return name


def check_stream_name(name: object) -> str:
    """Return `name` if nats-server accepts it as a stream name, else raise ValidationError.

        >>> check_stream_name("my orders")
        Traceback (most recent call last):
        jslab.errors.ValidationError: stream name 'my orders' contains a space: ...
    """
    return _check_name(
        name, "stream", "$JS.API.STREAM.INFO.<name>", upper=True, example="ORDERS"
    )


def check_consumer_name(name: object) -> str:
    """Return `name` if nats-server accepts it as a consumer (durable) name.

        >>> check_consumer_name("billing")
        'billing'
    """
    return _check_name(
        name, "consumer", "$JS.API.CONSUMER.INFO.<stream>.<name>", upper=False,
        example="worker",
    )


def check_bucket_name(name: object) -> str:
    """Return `name` if it is a valid key-value or object store bucket name.

    Buckets are streams named KV_<bucket> / OBJ_<bucket>, and the clients allow only
    letters, digits, '-' and '_' in bucket names.

        >>> check_bucket_name("profiles")
        'profiles'
    """
    name = _require_str(name, "bucket name", "profiles")
    if not _BUCKET_NAME.fullmatch(name):
        problem = "is empty" if name == "" else "contains characters other than A-Z a-z 0-9 - _"
        suggestion = _suggest_name(name, upper=False) if name else "profiles"
        raise ValidationError(
            f"bucket name {name!r} {problem}: a bucket is stored in a stream named "
            f"KV_<bucket> or OBJ_<bucket> and its keys become subjects, so bucket names may "
            f"only use letters, digits, '-' and '_'. Try {suggestion!r}."
        )
    if len(name) + 4 > MAX_NAME_BYTES:
        raise ValidationError(
            f"bucket name is {len(name)} characters long: its stream name OBJ_<bucket> must fit "
            f"in {MAX_NAME_BYTES} bytes. Use a shorter name."
        )
    return name


def _utf8_size(text: str, what: str) -> int:
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError as e:
        raise ValidationError(
            f"{what} {_clip(text)} contains {text[e.start]!r}, which cannot be encoded as UTF-8 "
            "(a lone surrogate, usually from a broken decode). Remove it or decode the source "
            "text properly."
        ) from None


def _clip(text: str, limit: int = 60) -> str:
    return repr(text) if len(text) <= limit else repr(text[: limit - 1]) + "…"


def check_subject_length(subject: str, limit: int = MAX_SUBJECT_BYTES, *,
                         what: str = "subject") -> str:
    """Return `subject` if it is at most `limit` bytes in UTF-8, else raise ValidationError.

    `limit` is a subject length, e.g. ``max_subject_bytes(server_max_control_line)``; the
    default fits a server with the default control line of 4096 bytes.

        >>> check_subject_length("orders.new", 10)
        'orders.new'
    """
    size = _utf8_size(subject, what)
    if size > limit:
        raise ValidationError(
            f"{what} is {size:,} bytes long (UTF-8): the server closes the connection on a "
            f"protocol line longer than its max_control_line ({CONTROL_LINE_LIMIT:,} bytes by "
            f"default), and the line also carries a reply subject and sizes, so a {what} may be "
            f"at most {limit:,} bytes. Use a shorter {what} (keep ids short, put long data in "
            "the payload)."
        )
    return subject


def check_subject(subject: object, *, wildcards: bool = True, what: str = "subject",
                  max_bytes: int | None = MAX_SUBJECT_BYTES) -> str:
    """Return `subject` if it is a valid NATS subject, else raise ValidationError.

    Tokens are separated by '.', none may be empty or contain whitespace; '*' matches exactly
    one token and must be a whole token; '>' matches one or more and must be the whole last
    token. With `wildcards=False` neither is allowed. The subject must fit `max_bytes` in UTF-8
    (None: no length check; see `check_subject_length`).

        >>> check_subject("orders.*.new")
        'orders.*.new'
    """
    subject = _require_str(subject, what, "orders.new")
    if max_bytes is not None:
        check_subject_length(subject, max_bytes, what=what)
    if subject == "":
        raise ValidationError(
            f"{what} is empty: a subject needs at least one token. Try 'orders.new'."
        )
    if _WHITESPACE.search(subject):
        fixed = _WHITESPACE.sub("_", subject.strip())
        raise ValidationError(
            f"{what} {subject!r} contains whitespace: NATS subjects are space-separated in the "
            f"protocol, so they cannot contain spaces, tabs or newlines. Try {fixed!r}."
        )
    tokens = subject.split(".")
    if "" in tokens:
        fixed = ".".join(t for t in tokens if t) or "orders.new"
        where = (
            "starts with '.'" if tokens[0] == ""
            else "ends with '.'" if tokens[-1] == ""
            else "contains '..'"
        )
        raise ValidationError(
            f"{what} {subject!r} {where}: subjects are tokens separated by single dots and "
            f"no token may be empty. Try {fixed!r}."
        )
    for i, token in enumerate(tokens):
        last = i == len(tokens) - 1
        has_wild = "*" in token or ">" in token
        if not has_wild:
            continue
        if not wildcards:
            fixed = ".".join("new" if ("*" in t or ">" in t) else t for t in tokens)
            raise ValidationError(
                f"{what} {subject!r} contains a wildcard ({token!r}): a message is published to "
                f"one concrete subject; '*' and '>' are only for subscriptions, stream subjects "
                f"and consumer filters. Try {fixed!r}."
            )
        if token == "*":
            continue
        if token == ">":
            if last:
                continue
            fixed = ".".join([*tokens[:i], ">"])
            raise ValidationError(
                f"{what} {subject!r} has '>' before the last token: '>' matches all remaining "
                f"tokens, so it can only be the last one. Try {fixed!r}."
            )
        fixed = ".".join("*" if ("*" in t or ">" in t) and t != ">" else t for t in tokens)
        raise ValidationError(
            f"{what} {subject!r} has a wildcard inside the token {token!r}: '*' and '>' only "
            f"act as wildcards when they are a whole token (the server would treat {token!r} "
            f"as plain characters). Try {fixed!r}."
        )
    return subject


def check_publish_subject(subject: object, *, what: str = "publish subject",
                          max_bytes: int | None = MAX_SUBJECT_BYTES) -> str:
    """A subject to publish to: valid, without wildcards, at most `max_bytes` in UTF-8.

    Pass ``max_bytes=max_subject_bytes(limit)`` for a server configured with another
    max_control_line.

        >>> check_publish_subject("orders.new")
        'orders.new'
    """
    return check_subject(subject, wildcards=False, what=what, max_bytes=max_bytes)


def check_filter_subject(subject: object, *, what: str = "filter subject") -> str:
    """A consumer filter subject: valid, wildcards allowed.

        >>> check_filter_subject("orders.>")
        'orders.>'
    """
    return check_subject(subject, wildcards=True, what=what)


_KV_KEY_CHARS = re.compile(r"[-/_=.A-Za-z0-9]")
_KV_KEY_BAD = re.compile(r"[^-/_=.A-Za-z0-9*>]")


def check_kv_key(key: object, *, wildcards: bool = False, what: str = "key",
                 max_bytes: int | None = None) -> str:
    """Return `key` if a key-value bucket accepts it, else raise ValidationError.

    A key becomes the last part of the subject ``$KV.<bucket>.<key>``, so the clients allow
    only A-Z a-z 0-9 and ``- _ / = .``, and '.' separates tokens that must not be empty (no
    leading, trailing or double dot). With `wildcards=True` (watching or listing keys) '*' may
    be a whole token and '>' the whole last token. `max_bytes` optionally bounds its length.

        >>> check_kv_key("user.42/profile")
        'user.42/profile'
        >>> check_kv_key("user.*", wildcards=True)
        'user.*'
    """
    key = _require_str(key, what, "user.42")
    allowed = "A-Z a-z 0-9 - _ / = ." + (" and the wildcards * and >" if wildcards else "")
    why = (
        f"a key becomes the subject $KV.<bucket>.<key>, so keys may only use {allowed}, and "
        "'.' separates non-empty tokens"
    )
    if key == "":
        raise ValidationError(f"{what} is empty: {why}. Try 'user.42'.")
    bad = sorted({c for c in key if not _KV_KEY_CHARS.fullmatch(c)} - (
        {"*", ">"} if wildcards else set()))
    if bad:
        if any(c.isspace() for c in bad):
            problem = "contains a space" if " " in bad else "contains whitespace"
        elif not wildcards and {"*", ">"} & set(bad):
            problem = ("contains a wildcard ('*' or '>'): a key names one value; wildcards are "
                       "only for watching or listing keys")
        else:
            problem = f"contains {', '.join(repr(c) for c in bad)}"
        fixed = _KV_KEY_BAD.sub("_", key) if wildcards else re.sub(r"[^-/_=.A-Za-z0-9]", "_", key)
        fixed = ".".join(t for t in fixed.split(".") if t) or "user.42"
        raise ValidationError(f"{what} {_clip(key)} {problem}: {why}. Try {fixed!r}.")
    tokens = key.split(".")
    if "" in tokens:
        where = (
            "starts with '.'" if tokens[0] == ""
            else "ends with '.'" if tokens[-1] == ""
            else "contains '..'"
        )
        fixed = ".".join(t for t in tokens if t) or "user.42"
        raise ValidationError(f"{what} {_clip(key)} {where}: {why}. Try {fixed!r}.")
    if wildcards:
        check_subject(key, wildcards=True, what=what, max_bytes=None)
    if max_bytes is not None:
        check_subject_length(key, max_bytes, what=what)
    return key


def subject_matches(filter: str, subject: str) -> bool:
    """True if the (possibly wildcard) `filter` matches the concrete `subject`.

        >>> subject_matches("orders.*", "orders.new"), subject_matches("orders.*", "orders.eu.new")
        (True, False)
    """
    f_tokens = filter.split(".")
    s_tokens = subject.split(".")
    for i, f in enumerate(f_tokens):
        if f == ">":
            return len(s_tokens) > i
        if i >= len(s_tokens):
            return False
        if f != "*" and f != s_tokens[i]:
            return False
    return len(f_tokens) == len(s_tokens)


def subjects_overlap(a: str, b: str) -> bool:
    """True if some concrete subject is matched by both `a` and `b` (wildcards on either side).

    This is the rule behind errors 10065 (two streams), 10052 (inside one stream), 10100
    (work-queue consumers) and 10138 (one consumer's filters).

        >>> subjects_overlap("orders.*.new", "orders.eu.>"), subjects_overlap("a.b", "a.c")
        (True, False)
    """
    a_tokens = a.split(".")
    b_tokens = b.split(".")
    for i in range(max(len(a_tokens), len(b_tokens))):
        ta = a_tokens[i] if i < len(a_tokens) else None
        tb = b_tokens[i] if i < len(b_tokens) else None
        if ta == ">" or tb == ">":
            # '>' needs at least one token on the other side at this position.
            return ta is not None and tb is not None
        if ta is None or tb is None:
            return False
        if ta != "*" and tb != "*" and ta != tb:
            return False
    return True
