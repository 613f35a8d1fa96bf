"""Errors raised by jslab.

Every error says what happened, why, and what to do next. This module imports nothing from
the rest of jslab (but the traceback renderer, lazily), so every layer can raise these.

JetStream API errors become a `JetStreamError` subclass named for what went wrong, carrying
the server's `err_code`, its `description` verbatim, and a `hint` in the kit's words:

    >>> err = JetStreamError.from_api(err_code=10059, status=404, description="stream not found",
    ...                               operation="stream info ORDERS", context={"stream": "ORDERS"})
    >>> type(err).__name__, err.err_code
    ('StreamNotFoundError', 10059)
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "AuthorizationFailedError",
    "ClosedError",
    "ConsumerAlreadyExistsError",
    "ConsumerConfigInvalidError",
    "ConsumerCreateError",
    "ConsumerDoesNotExistError",
    "ConsumerNotFoundError",
    "DuplicateFilterSettingsError",
    "ExpectedStreamMismatchError",
    "FilterSubjectsOverlapError",
    "InvalidJSONError",
    "InvalidMessageTTLError",
    "JetStreamError",
    "JetStreamNotEnabledError",
    "JetStreamUnavailableError",
    "JslabError",
    "JslabTimeoutError",
    "JslabTypeError",
    "MaxConsumersReachedError",
    "MaxDeliverBackoffError",
    "MaxStreamsReachedError",
    "MessageLimitReachedError",
    "MessageNotFoundError",
    "MessageTTLDisabledError",
    "MessageTooLargeError",
    "MirrorConfigError",
    "NameContainsPathSeparatorError",
    "NoRespondersError",
    "NoStreamForSubjectError",
    "NoSuitablePeersError",
    "NotConnectedError",
    "PriorityGroupInvalidError",
    "PriorityPolicyWithoutGroupError",
    "PublishError",
    "PurgeNotPermittedError",
    "ReplicasNotSupportedError",
    "SequenceNotFoundError",
    "SmallHeartbeatError",
    "StreamConfigInvalidError",
    "StreamNameInUseError",
    "StreamNotFoundError",
    "StreamSealedError",
    "SubjectsOverlapError",
    "ValidationError",
    "WorkQueueConsumerNotUniqueError",
    "WorkQueueDeliverAllError",
    "WorkQueueExplicitAckError",
    "WorkQueueMultipleUnfilteredError",
    "WorkQueuePullExplicitAckError",
    "WrongLastMsgIdError",
    "WrongLastSequenceError",
    "error_class_for",
    "mapped_codes",
]


class JslabError(Exception):
    """Base class of every error jslab raises."""

    def _render_traceback_(self) -> list[str]:
        # IPython asks for this: show the learner's lines and the error, not the kit's frames.
        from ._tracebacks import render

        return render(self)


class _DefaultMessage:
    """Mixin: raising the class with no arguments still gives a full explanation."""

    default_message: ClassVar[str] = ""

    def __init__(self, *args: Any) -> None:
        super().__init__(*(args or (self.default_message,)))


class JslabTypeError(JslabError, TypeError):
    """An argument has the wrong type (checked before any request is sent).

        >>> raise JslabTypeError("stream name must be a str, got int 42")
    """


class ValidationError(JslabError, ValueError):
    """An argument has a value JetStream would refuse (checked before any request is sent).

        >>> raise ValidationError("stream name '' is empty: ... Try 'ORDERS'.")
    """


class NotConnectedError(_DefaultMessage, JslabError):
    """The server cannot be reached right now (stopped, restarting, or the network is down).

        >>> raise NotConnectedError()
    """

    default_message = (
        "not connected to the NATS server: the server is down or the connection is being "
        "re-established. The lab keeps trying to reconnect in the background; check that the "
        "server is running (lab.server, `jslab doctor`) and run the cell again."
    )


class JslabTimeoutError(_DefaultMessage, JslabError, TimeoutError):
    """No answer came back in time.

        >>> raise JslabTimeoutError()
    """

    default_message = (
        "timed out waiting for an answer from the NATS server: it may be busy, restarting, or "
        "no one is listening on that subject. Check the server is up and retry, or pass a "
        "larger timeout."
    )


class NoRespondersError(JslabError):
    """A core NATS request that no subscriber was there to answer.

        >>> raise NoRespondersError("no responders for 'svc.time'")
    """

    @classmethod
    def about(cls, subject: str) -> NoRespondersError:
        return cls(
            f"no responders for {subject!r}: no subscriber was listening, so the server "
            "answered at once instead of letting the request time out. Start one first, e.g. "
            "lab.respond(subject, handler), and check the subject's spelling.")


class AuthorizationFailedError(_DefaultMessage, JslabError):
    """The server refused the credentials (user, password, token, creds file or NKey).

        >>> raise AuthorizationFailedError()
    """

    default_message = (
        "the server refused the credentials (authorization violation): the user, password, "
        "token, creds file or NKey is wrong, or not allowed to do this."
    )


class ClosedError(_DefaultMessage, JslabError):
    """The lab was closed; its connection and loop are gone.

        >>> raise ClosedError()
    """

    default_message = (
        "this lab is closed, so it can no longer talk to the server. "
        "Start a new lab with jslab.start()."
    )


# --- JetStream API errors --------------------------------------------------------------------

_BY_CODE: dict[int, type[JetStreamError]] = {}
_FORMATTER = string.Formatter()


def _fields(part: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(part) if name}


def _fill(parts: tuple[str, ...], context: Mapping[str, Any]) -> str:
    """Join the hint parts whose placeholders all have a value in `context`.

    A hint is written as sentences; a sentence that needs a context key the caller did not
    know (for instance which stream owns a subject) is left out rather than printed half-empty.
    """
    values = {k: _show(v) for k, v in context.items() if v is not None and v != ""}
    kept = [p.format(**values) for p in parts if _fields(p) <= values.keys()]
    return " ".join(kept)


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(repr(v) for v in value)
    return str(value)


class JetStreamError(JslabError):
    """The JetStream API refused a request.

    Attributes: `err_code` (JetStream's error code, e.g. 10059), `status` (HTTP-like, e.g. 404),
    `description` (the server's text, verbatim), `hint` (why, in JetStream terms, and what to
    do instead), `operation` (what the kit was doing, e.g. "add stream ORDERS", or None).

        >>> err = JetStreamError.from_api(err_code=10065, status=400,
        ...     description="subjects overlap with an existing stream", operation="add stream B")
        >>> print(err)  # doctest: +ELLIPSIS
        [10065] subjects overlap with an existing stream (add stream B)
        Hint: ...
    """

    #: The codes this class stands for; the first is the main one.
    codes: ClassVar[tuple[int, ...]] = ()
    #: The status the server sends with these codes.
    default_status: ClassVar[int | None] = None
    #: The server's description, for errors built without one.
    default_description: ClassVar[str] = "JetStream API error"
    #: Hint sentences; `{key}` is filled from the context, a sentence missing a key is dropped.
    hint_parts: ClassVar[tuple[str, ...]] = (
        "JetStream refused the request; the server's description above says why.",
        "Look up error code {err_code} in nats-server's server/errors.json for the rule behind it.",
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for code in cls.__dict__.get("codes", ()):
            _BY_CODE[code] = cls

    def __init__(
        self,
        description: str | None = None,
        *,
        err_code: int | None = None,
        status: int | None = None,
        operation: str | None = None,
        hint: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self.err_code = err_code if err_code is not None else (self.codes or (None,))[0]
        self.status = status if status is not None else self.default_status
        self.description = description if description else self.default_description
        self.operation = operation
        self.context = dict(context or {})
        self.hint = hint if hint is not None else self._make_hint()
        super().__init__(self._message())

    def _hint_parts(self) -> tuple[str, ...]:
        return self.hint_parts

    def _make_hint(self) -> str:
        context = {"err_code": self.err_code, "operation": self.operation, **self.context}
        return _fill(self._hint_parts(), context)

    def _message(self) -> str:
        code = self.err_code if self.err_code is not None else self.status
        head = f"[{code}] {self.description}" if code is not None else self.description
        if self.operation:
            head += f" ({self.operation})"
        return f"{head}\nHint: {self.hint}" if self.hint else head

    def __str__(self) -> str:
        return self._message()

    @classmethod
    def from_api(
        cls,
        *,
        err_code: int | None,
        status: int | None = None,
        description: str | None = None,
        operation: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> JetStreamError:
        """The error for one API answer `{"code": status, "err_code": ..., "description": ...}`.

            >>> JetStreamError.from_api(err_code=10014, status=404,
            ...                         description="consumer not found").__class__.__name__
            'ConsumerNotFoundError'
        """
        klass = error_class_for(err_code, status=status, description=description)
        return klass(
            description, err_code=err_code, status=status, operation=operation, context=context
        )


def error_class_for(
    err_code: int | None, *, status: int | None = None, description: str | None = None
) -> type[JetStreamError]:
    """The `JetStreamError` subclass for a JetStream error code (the base class if unmapped).

        >>> error_class_for(10059).__name__
        'StreamNotFoundError'
    """
    if err_code is not None:
        return _BY_CODE.get(err_code, JetStreamError)
    # Answers carried only in headers (direct get) have a status and text but no err_code.
    if status == 404 and description and "message not found" in description.lower():
        return MessageNotFoundError
    return JetStreamError


def mapped_codes() -> dict[int, type[JetStreamError]]:
    """Every JetStream error code with its own class, sorted by code.

        >>> mapped_codes()[10065].__name__
        'SubjectsOverlapError'
    """
    return dict(sorted(_BY_CODE.items()))


# Streams ---------------------------------------------------------------------------------------


class StreamNotFoundError(JetStreamError):
    """10059: no stream with that name exists in this account."""

    codes = (10059,)
    default_status = 404
    default_description = "stream not found"
    hint_parts = (
        "There is no stream named '{stream}' in this account.",
        "No stream with that name exists in this account (names are case-sensitive).",
        "List the existing ones with lab.streams(), or create it first with lab.add_stream().",
    )

    def _hint_parts(self) -> tuple[str, ...]:
        # Either the named sentence or the generic one, never both.
        parts = self.hint_parts
        return parts[:1] + parts[2:] if "stream" in self.context else parts[1:]


class StreamNameInUseError(JetStreamError):
    """10058: a stream with that name exists with a different configuration."""

    codes = (10058,)
    default_status = 400
    default_description = "stream name already in use with a different configuration"
    hint_parts = (
        "A stream named '{stream}' already exists, and adding a stream is only idempotent "
        "when the configuration is identical.",
        "Adding a stream is only idempotent when the configuration is identical to the "
        "existing one.",
        "To change the existing stream use update_stream; to start over, delete it first; "
        "or pick another name.",
    )

    def _hint_parts(self) -> tuple[str, ...]:
        parts = self.hint_parts
        return parts[:1] + parts[2:] if "stream" in self.context else parts[1:]


class SubjectsOverlapError(JetStreamError):
    """10065: another stream in the account already captures some of these subjects."""

    codes = (10065,)
    default_status = 400
    default_description = "subjects overlap with an existing stream"
    hint_parts = (
        "Two streams in one account cannot capture the same subject, because each published "
        "message must be stored by exactly one stream.",
        "Stream '{owner}' already captures {owner_subjects}.",
        "The requested subjects were {subjects}.",
        "Use subjects no other stream captures (e.g. a different first token), add the "
        "subjects to the existing stream, or delete that stream first.",
    )


class StreamConfigInvalidError(JetStreamError):
    """10052: the stream configuration breaks one of JetStream's rules (the text says which)."""

    codes = (10052,)
    default_status = 500
    default_description = "stream configuration is invalid"
    hint_parts = (
        "The stream configuration breaks one of JetStream's rules, named in the description.",
        "Fix that field and send the request again.",
    )
    # Description fragment -> the rule behind it, in the kit's words.
    _RULES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("overlaps with", "Subjects inside one stream must not overlap: a wildcard such as "
         "'orders.*' already covers 'orders.new', so list only the wider one."),
        ("duplicates window", "The duplicate window cannot be longer than max_age: a message id "
         "cannot be remembered after its message expired. Shorten duplicate_window or raise "
         "max_age."),
        ("can not be sealed", "A stream cannot be created sealed. Create it, publish, then "
         "update it with sealed=True."),
        ("discard new per subject", "discard_new_per_subject needs discard='new' and a "
         "max_msgs_per_subject limit."),
        ("name is too long", "Stream names are limited to 255 bytes. Choose a shorter name."),
        ("storage type", "A stream's storage (file or memory) is fixed at creation. Create a new "
         "stream with the other storage and copy the data (for example with a source)."),
        ("forms a cycle", "The republish destination must not be captured by the stream "
         "itself, or every republished message would be stored again. Republish to a subject "
         "outside the stream's subjects."),
        ("with transform", "The republish (or subject transform) destination is not a valid "
         "mapping of its source: it may use the source's wildcards as {{{{wildcard(1)}}}} (one per "
         "'*', in order) or end with '>' when the source does, and must be a valid subject."),
        ("retention policy", "A stream cannot be switched to or from work-queue retention "
         "(limits and interest can be switched into each other). Create a new stream with "
         "the retention you need."),
        ("can not be updated", "That field is fixed when the stream is created. Create a new "
         "stream instead of updating this one."),
    )

    def _hint_parts(self) -> tuple[str, ...]:
        text = self.description.lower()
        for fragment, rule in self._RULES:
            if fragment in text:
                return (rule,)
        if "consumer" in (self.operation or "") or "filter" in text:
            # The server answers some consumer requests with this stream code too.
            return ("The server refused a consumer setting, named in the description (it uses "
                    "this stream error code for some consumer rules, e.g. an invalid filter "
                    "subject).", "Fix that setting and create the consumer again.")
        return self.hint_parts


class StreamSealedError(JetStreamError):
    """10109: the stream is sealed, nothing can be added, deleted or purged."""

    codes = (10109,)
    default_status = 400
    default_description = "invalid operation on sealed stream"
    hint_parts = (
        "A sealed stream is read-only for ever: no publish, no delete, no purge, and the "
        "seal cannot be undone.",
        "Read from it as before; to write, use (or create) another stream.",
    )


class PurgeNotPermittedError(JetStreamError):
    """10110: the stream purge failed, most often because the stream denies purges."""

    codes = (10110,)
    default_status = 500
    default_description = "stream purge not permitted"
    hint_parts = (
        "The stream was created with deny_purge=True, which forbids purging so that history "
        "cannot be erased.",
        "If you really need to purge, update the stream with deny_purge=False first.",
    )

    def _hint_parts(self) -> tuple[str, ...]:
        if "not permitted" in self.description:
            return self.hint_parts
        return ("The server could not purge the stream; the description says why.",)


class MessageTooLargeError(JetStreamError):
    """10054: the message is bigger than the stream's max_msg_size."""

    codes = (10054,)
    default_status = 400
    default_description = "message size exceeds maximum allowed"
    hint_parts = (
        "The stream has a max_msg_size limit and this message is larger.",
        "Send a smaller payload, or update the stream with a larger max_msg_size.",
    )


class MessageLimitReachedError(JetStreamError):
    """10077: a discard='new' stream is full, so the server refuses new messages."""

    codes = (10077,)
    default_status = 503
    default_description = "maximum messages exceeded"
    hint_parts = (
        "The stream uses discard='new': when a limit (max_msgs, max_bytes, or "
        "max_msgs_per_subject) is reached it refuses new messages instead of dropping old ones.",
        "Consume and delete/purge messages, raise the limit, or use discard='old'.",
    )


class ReplicasNotSupportedError(JetStreamError):
    """10074: replicas > 1 asked of a single server."""

    codes = (10074,)
    default_status = 500
    default_description = "replicas > 1 not supported in non-clustered mode"
    hint_parts = (
        "Replicas are copies kept on other servers; a single server cannot hold more than one.",
        "Use num_replicas=1 here, or start a cluster (jslab.server.LocalCluster) for R3.",
    )


class NameContainsPathSeparatorError(JetStreamError):
    """10127/10128: a stream or consumer name contains '/' or '\\'."""

    codes = (10128, 10127)
    default_status = 400
    default_description = "Stream name can not contain path separators"
    hint_parts = (
        "The server stores each stream and consumer in a directory named after it, so names "
        "cannot contain '/' or '\\'.",
        "Use '_' or '-' instead, e.g. 'ORDERS_EU'.",
    )


class ExpectedStreamMismatchError(JetStreamError):
    """10060: the Nats-Expected-Stream header names another stream than the one storing."""

    codes = (10060,)
    default_status = 400
    default_description = "expected stream does not match"
    hint_parts = (
        "The publish said it expected stream '{expected_stream}' (Nats-Expected-Stream header), "
        "but the subject is captured by another stream.",
        "The publish set the Nats-Expected-Stream header, but the subject is captured by "
        "another stream.",
        "Check which stream captures the subject, or drop the expectation.",
    )

    def _hint_parts(self) -> tuple[str, ...]:
        parts = self.hint_parts
        return parts[:1] + parts[2:] if "expected_stream" in self.context else parts[1:]


class InvalidJSONError(JetStreamError):
    """10025: the API request body is not valid JSON."""

    codes = (10025,)
    default_status = 400
    default_description = "invalid JSON"
    hint_parts = (
        "JetStream API requests ($JS.API.*) take a JSON body, and the server could not read "
        "this one: the description names the field whose value has the wrong type or format "
        "(a number where text is expected, a time that is not RFC 3339 with a zone).",
        "Fix that value; a raw request body is json.dumps(...) of a dict.",
    )


# Messages --------------------------------------------------------------------------------------


class MessageNotFoundError(JetStreamError):
    """10037: no message at that sequence, or no message on that subject."""

    codes = (10037,)
    default_status = 404
    default_description = "no message found"
    hint_parts = (
        "Nothing is stored there: the sequence is outside first..last, was deleted, expired "
        "or was removed by a limit or an ack on a work-queue stream; or no message exists on "
        "that subject.",
        "Look at the stream's first and last sequence (lab.snapshot(stream)) and pick one "
        "that exists.",
    )


class SequenceNotFoundError(JetStreamError):
    """10043: deleting a message by a sequence the stream does not hold."""

    codes = (10043,)
    default_status = 400
    default_description = "sequence not found"
    hint_parts = (
        "The stream holds no message at that sequence (never stored, already deleted, or "
        "removed by a limit).",
        "Check first and last sequence in lab.snapshot(stream) before deleting.",
    )


class WrongLastSequenceError(JetStreamError):
    """10071: an optimistic-concurrency publish lost: the expected last sequence is stale."""

    codes = (10071, 10164)
    default_status = 400
    default_description = "wrong last sequence"
    hint_parts = (
        "The publish carried an expected last sequence (Nats-Expected-Last-Sequence or "
        "Nats-Expected-Last-Subject-Sequence) and the stream's actual last sequence differs: "
        "someone else wrote first. Nothing was stored.",
        "You expected {expected}.",
        "Re-read the current state (the number in the description is the actual last "
        "sequence), decide again, and publish with the new expectation.",
    )


class WrongLastMsgIdError(JetStreamError):
    """10070: the Nats-Expected-Last-Msg-Id header does not match the last message id."""

    codes = (10070,)
    default_status = 400
    default_description = "wrong last msg ID"
    hint_parts = (
        "The publish expected the stream's last message to carry a given Nats-Msg-Id, but "
        "another message was stored since (the description shows the actual last id). "
        "Nothing was stored.",
        "Re-read the stream, then publish again with the current last id.",
    )


class MessageTTLDisabledError(JetStreamError):
    """10166: a Nats-TTL header was sent to a stream without allow_msg_ttl."""

    codes = (10166,)
    default_status = 400
    default_description = "per-message TTL is disabled"
    hint_parts = (
        "Per-message TTL (the Nats-TTL header, nats-server 2.11+) only works on streams created "
        "with allow_msg_ttl=True.",
        "Update the stream with allow_msg_ttl=True, or drop the TTL and use the stream's max_age.",
    )


class InvalidMessageTTLError(JetStreamError):
    """10165: the Nats-TTL header is not a valid duration."""

    codes = (10165,)
    default_status = 400
    default_description = "invalid per-message TTL"
    hint_parts = (
        "Nats-TTL must be a duration such as '30s', '5m' or '1h', a number of seconds, or "
        "'never'.",
        "You sent {ttl!r}.",
        "Fix the header value and publish again.",
    )


class MaxStreamsReachedError(JetStreamError):
    """10027: the account's JetStream limit on the number of streams is reached."""

    codes = (10027,)
    default_status = 400
    default_description = "maximum number of streams reached"
    hint_parts = (
        "Your account may hold only so many streams (its JetStream max_streams limit, set by "
        "whoever runs the server; lab.account_info().limits shows it), and it holds that many.",
        "Delete a stream you no longer need, or ask the server's operator for a higher limit.",
    )


class JetStreamUnavailableError(JetStreamError):
    """10008: the server's JetStream cannot answer right now (a cluster electing a leader)."""

    codes = (10008,)
    default_status = 503
    default_description = "JetStream system temporarily unavailable"
    hint_parts = (
        "The server you reached cannot answer for JetStream at this moment: in a cluster this "
        "happens while a leader is being elected or a server is rejoining.",
        "Try again in a second or two; nothing was changed.",
    )


class NoSuitablePeersError(JetStreamError):
    """10005: no set of servers qualifies for the stream's (or consumer's) placement."""

    codes = (10005,)
    default_status = 400
    default_description = "no suitable peers for placement"
    hint_parts = (
        "The cluster has fewer qualifying servers than the replicas asked for: a server "
        "qualifies when it is up, has every placement tag listed (and the placement cluster), "
        "and has room within its JetStream limits.",
        "Ask for fewer replicas, relax the placement tags, or start more servers with those "
        "tags. Nothing was created.",
    )


class MirrorConfigError(JetStreamError):
    """A mirror's configuration broke a mirror rule (10031, 10034, 10055, 10150)."""

    codes = (10034, 10031, 10055, 10150)
    default_status = 400
    default_description = "invalid mirror configuration"
    hint_parts = (
        "A mirror is a read-only copy of one origin stream: it has no subjects of its own and "
        "no sources, its origin is fixed at creation, and it filters or renames with "
        "filter_subject or subject_transforms (not both).",
        "To combine several streams, or to take publishes as well, create a stream with "
        "sources instead.",
    )


# Consumers -------------------------------------------------------------------------------------


class ConsumerNotFoundError(JetStreamError):
    """10014: no consumer with that name on this stream."""

    codes = (10014,)
    default_status = 404
    default_description = "consumer not found"
    hint_parts = (
        "The stream has no consumer with that name: it was never created, was deleted, or was "
        "an ephemeral consumer removed after its inactive_threshold (seconds by default).",
        "List them with lab.consumers(stream); for a consumer that must survive idle time, "
        "create a durable one.",
    )


class ConsumerAlreadyExistsError(JetStreamError):
    """10148/10013: create asked for a new consumer, but one with that name exists."""

    codes = (10148, 10013)
    default_status = 400
    default_description = "consumer already exists"
    hint_parts = (
        "A consumer with that name already exists on the stream with a different "
        "configuration, and a create never replaces it.",
        "Use it as it is, update it (only some fields can change), delete it first, or choose "
        "another name.",
    )


class ConsumerDoesNotExistError(JetStreamError):
    """10149: update asked for a consumer that does not exist."""

    codes = (10149,)
    default_status = 400
    default_description = "consumer does not exist"
    hint_parts = (
        "An update only changes an existing consumer and this one does not exist.",
        "Create it first (add_consumer), or check the name with lab.consumers(stream).",
    )


class ConsumerCreateError(JetStreamError):
    """10012: creating or updating a consumer failed (often a field that can not change)."""

    codes = (10012,)
    default_status = 500
    default_description = "consumer create failed"
    hint_parts = (
        "Creating or updating the consumer failed for the reason in the description.",
        "Fix the configuration and try again.",
    )

    def _hint_parts(self) -> tuple[str, ...]:
        if "can not be updated" in self.description:
            return (
                "A consumer with this name already exists and that field is fixed at "
                "creation (ack policy, deliver policy, durable name, ...).",
                "Delete the consumer and create it again, or use a new name.",
            )
        return self.hint_parts


class MaxConsumersReachedError(JetStreamError):
    """10026: the stream (or account) max_consumers limit is reached."""

    codes = (10026,)
    default_status = 400
    default_description = "maximum consumers limit reached"
    hint_parts = (
        "The stream's max_consumers (or the account's limit) allows no more consumers.",
        "Delete unused consumers (durables live until deleted) or raise max_consumers.",
    )


class MaxDeliverBackoffError(JetStreamError):
    """10116: max_deliver must be larger than the number of backoff values."""

    codes = (10116,)
    default_status = 400
    default_description = "max deliver is required to be > length of backoff values"
    hint_parts = (
        "Each backoff value is the delay before one redelivery, so a backoff list longer than "
        "max_deliver could never be used in full.",
        "Set max_deliver to at least len(backoff) (nats-server 2.11 to 2.15 accept equal, "
        "although the message says '>'), or shorten the backoff list.",
    )


class FilterSubjectsOverlapError(JetStreamError):
    """10138: the consumer's filter_subjects overlap each other."""

    codes = (10138,)
    default_status = 400
    default_description = "consumer subject filters cannot overlap"
    hint_parts = (
        "A filter inside another is refused (a wildcard such as 'orders.*' already covers "
        "'orders.new'); filters that only partly overlap are refused before nats-server 2.12.5 "
        "and accepted from it on.",
        "The filters were {filters}.",
        "Keep only the wider filter, or make the filters disjoint.",
    )


class DuplicateFilterSettingsError(JetStreamError):
    """10136: both filter_subject and filter_subjects were given."""

    codes = (10136,)
    default_status = 400
    default_description = "consumer cannot have both FilterSubject and FilterSubjects specified"
    hint_parts = (
        "filter_subject (one) and filter_subjects (several) are mutually exclusive.",
        "Put every filter in filter_subjects and leave filter_subject unset.",
    )


class SmallHeartbeatError(JetStreamError):
    """10083: idle_heartbeat below 100 ms."""

    codes = (10083,)
    default_status = 400
    default_description = "consumer idle heartbeat needs to be >= 100ms"
    hint_parts = (
        "Heartbeats more often than every 100 ms would flood the client.",
        "Use idle_heartbeat of at least 0.1 seconds (a few seconds is typical).",
    )


class PriorityPolicyWithoutGroupError(JetStreamError):
    """10159: priority_policy set without priority_groups."""

    codes = (10159,)
    default_status = 400
    default_description = "Setting PriorityPolicy requires at least one PriorityGroup to be set"
    hint_parts = (
        "Priority policies (overflow, pinned_client) act on named groups of pull requests.",
        "Add priority_groups=['jobs'] (a name of your choice) to the consumer config.",
    )


class PriorityGroupInvalidError(JetStreamError):
    """10160/10161/10162: the priority group name is missing, unknown or malformed."""

    codes = (10162, 10160, 10161)
    default_status = 400
    default_description = "invalid priority group"
    hint_parts = (
        "Priority group names are 1 to 16 characters from A-Z, a-z, 0-9 and -_/=)+, and a pull "
        "request must name one of the groups the consumer declared.",
        "Check priority_groups in the consumer config and the group your fetch passes.",
    )


# Work-queue rules ------------------------------------------------------------------------------


class WorkQueuePullExplicitAckError(JetStreamError):
    """10084: a pull consumer on a work-queue stream must use ack_policy='explicit'."""

    codes = (10084,)
    default_status = 400
    default_description = "consumer in pull mode requires explicit ack policy on workqueue stream"
    hint_parts = (
        "On a work-queue stream a message is removed when it is acknowledged, so each message "
        "must be acked one by one.",
        "Create the pull consumer with ack_policy='explicit' (the default).",
    )


class WorkQueueExplicitAckError(JetStreamError):
    """10098: a (push) consumer on a work-queue stream must use explicit acks."""

    codes = (10098,)
    default_status = 400
    default_description = "workqueue stream requires explicit ack"
    hint_parts = (
        "On a work-queue stream a message is removed when it is acknowledged, so 'none' and "
        "'all' ack policies are refused.",
        "Use ack_policy='explicit'.",
    )


class WorkQueueMultipleUnfilteredError(JetStreamError):
    """10099: a work-queue stream allows only one consumer without a filter."""

    codes = (10099,)
    default_status = 400
    default_description = "multiple non-filtered consumers not allowed on workqueue stream"
    hint_parts = (
        "A work-queue stream hands each message to exactly one consumer; two unfiltered "
        "consumers would both claim every message.",
        "Share the existing consumer between workers (several fetchers on one durable), or "
        "give each consumer a filter_subject on its own partition (e.g. 'tasks.eu.>').",
    )


class WorkQueueConsumerNotUniqueError(JetStreamError):
    """10100: a work-queue consumer's filter overlaps another consumer's filter."""

    codes = (10100,)
    default_status = 400
    default_description = "filtered consumer not unique on workqueue stream"
    hint_parts = (
        "On a work-queue stream each subject may belong to one consumer only, and this filter "
        "overlaps the filter of an existing consumer (a wildcard counts for every subject it "
        "matches).",
        "Consumer '{owner}' already covers it.",
        "Use disjoint filters, or share the existing consumer between workers.",
    )


class WorkQueueDeliverAllError(JetStreamError):
    """10101: consumers on a work-queue stream must start at the beginning (deliver all)."""

    codes = (10101,)
    default_status = 400
    default_description = "consumer must be deliver all on workqueue stream"
    hint_parts = (
        "Every message in a work-queue stream is work still to do, so a consumer cannot skip "
        "any of it with deliver last/new/by-sequence/by-time.",
        "Use deliver_policy='all' (the default).",
    )


# Server and account ----------------------------------------------------------------------------


class JetStreamNotEnabledError(JetStreamError):
    """10039/10076: JetStream is not enabled (for this account, or on the server at all)."""

    codes = (10039, 10076)
    default_status = 503
    default_description = "JetStream not enabled for account"
    hint_parts = (
        "This server or account has no JetStream: only core NATS publish/subscribe works.",
        "Use the bundled server (jslab.start()), start nats-server with -js, or ask the "
        "operator to enable JetStream for your account.",
    )


class NoStreamForSubjectError(JetStreamError):
    """A JetStream publish to a subject that no stream captures: nobody acknowledged it.

        >>> print(NoStreamForSubjectError(context={"subject": "orders.new"}))  # doctest: +ELLIPSIS
        [503] no response from stream
        Hint: No stream captures 'orders.new', ...
    """

    default_status = 503
    default_description = "no response from stream"
    hint_parts = (
        "No stream captures '{subject}', so no stream stored the message or answered.",
        "No stream captures this subject, so no stream stored the message or answered.",
        "A JetStream publish waits for a stream's acknowledgement; a core NATS publish would "
        "have gone nowhere silently.",
        "Add a stream whose subjects include it (e.g. subjects=['{example}']), or publish to "
        "a subject an existing stream captures (see lab.streams()).",
        "Add a stream whose subjects include it, or publish to a subject an existing stream "
        "captures (see lab.streams()).",
    )

    def _hint_parts(self) -> tuple[str, ...]:
        p = self.hint_parts
        parts = (p[0], p[2], p[3]) if "subject" in self.context else (p[1], p[2], p[4])
        if self.context.get("cluster"):
            parts += ("In a cluster a stream that has no leader right now (an election after its "
                      "leader went away, or too few servers up for a quorum) does not answer "
                      "either: retry in a few seconds, with the same msg_id so that a retry is "
                      "never stored twice.",)
        return parts

    def _make_hint(self) -> str:
        subject = self.context.get("subject")
        if subject and "example" not in self.context:
            first = str(subject).split(".")[0]
            example = f"{first}.>" if "." in str(subject) else str(subject)
            self.context["example"] = example
        return super()._make_hint()


class ConsumerConfigInvalidError(JetStreamError):
    """10094: a consumer policy value is invalid."""

    codes = (10094,)
    default_status = 400
    default_description = "consumer policy invalid"
    hint_parts = (
        "A consumer setting breaks one of JetStream's rules, named in the description.",
        "Fix that field and create the consumer again.",
    )


# --- Publishing many ----------------------------------------------------------------------------


class PublishError(JetStreamError):
    """``publish_many`` did not store every message; says exactly which were and were not.

    ``stored`` maps message index -> stream sequence, ``refused`` maps index -> the server's
    error for it, ``unanswered`` lists the indices nobody acknowledged (they may or may not be
    stored: publish them again with the same msg_id to be sure they are stored once).
    ``err_code`` and ``description`` are those of the first refusal, when there is one.
    """

    default_description = "not every message was stored"

    def __init__(self, description: str | None = None, *, stored: Mapping[int, int] | None = None,
                 refused: Mapping[int, JetStreamError] | None = None,
                 unanswered: list[int] | None = None, total: int = 0,
                 **kwargs: Any) -> None:
        self.stored = dict(stored or {})
        self.refused = dict(refused or {})
        self.unanswered = list(unanswered or [])
        self.total = total
        #: How many messages were never sent (sending stops at the first refusal).
        self.not_sent = max(0, total - len(self.stored) - len(self.refused)
                            - len(self.unanswered))
        first = self.refused[min(self.refused)] if self.refused else None
        if first is not None:
            kwargs.setdefault("err_code", first.err_code)
            kwargs.setdefault("status", first.status)
            kwargs.setdefault("hint", first.hint)
            description = description or first.description
        super().__init__(description, **kwargs)

    def _message(self) -> str:
        parts = [f"{len(self.stored):,} of {self.total:,} messages stored"]
        if self.refused:
            parts.append(f"{len(self.refused):,} refused (first: message {min(self.refused)})")
        if self.unanswered:
            parts.append(f"{len(self.unanswered):,} unanswered: they may or may not be stored "
                         "(publish them again with the same msg_id to store each once)")
        if self.not_sent:
            parts.append(f"{self.not_sent:,} not sent")
        head = super()._message()
        return f"{'; '.join(parts)}.\n{head}"

    @classmethod
    def about(cls, refusal: JetStreamError | None, **kwargs: Any) -> PublishError:
        """A PublishError that is also an instance of the first refusal's class, so
        ``except MessageLimitReachedError`` catches a refused ``publish_many`` too."""
        base = type(refusal) if refusal is not None else JetStreamError
        if base is JetStreamError or issubclass(base, PublishError):
            return cls(**kwargs)
        klass = _PUBLISH_ERRORS.get(base)
        if klass is None:
            # codes=() keeps the combined class out of the by-code table.
            klass = _PUBLISH_ERRORS[base] = type(
                cls.__name__, (cls, base), {"__module__": __name__, "codes": (),
                                            "__doc__": cls.__doc__})
        return klass(**kwargs)


_PUBLISH_ERRORS: dict[type, type[PublishError]] = {}
