"""Checks for numbers, durations and times given to any public call, before anything is sent.

Each validator returns the value in the form the kit uses (float seconds, int, an aware UTC
``datetime``, int nanoseconds) or raises the kit's own error: ``JslabTypeError`` for the wrong
kind of value (a str, a bool, a float where an int is needed) and ``ValidationError`` for a
value of the right kind that JetStream or the kit would refuse (NaN, infinity, negative, too
large). The message names the argument, says what is wrong and why, and shows what works.

    >>> seconds("timeout", 2)
    2.0
    >>> count("batch", 10)
    10
    >>> duration_ns("max_age", 1.5)
    1500000000
    >>> timestamp("opt_start_time", "2030-01-01T12:00:00Z")
    datetime.datetime(2030, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)

Nothing is rounded or clamped silently: a value the server would store differently from what
was asked (``max_age=1e-10`` would reach it as 0, which means "no limit") is refused.
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import re
from fractions import Fraction
from typing import Any

from .errors import JslabTypeError, ValidationError

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "MAX_DURATION_SECONDS",
    "MAX_WAIT_SECONDS",
    "NS_PER_SECOND",
    "UINT64_MAX",
    "count",
    "duration_ns",
    "seconds",
    "timestamp",
]

#: The largest signed 32-bit number (nats-server stores max_msg_size as an int32).
INT32_MAX = 2**31 - 1
#: The largest signed 64-bit number: most counts and limits are int64 on the server.
INT64_MAX = 2**63 - 1
#: The largest unsigned 64-bit number (sequence numbers, rate limits).
UINT64_MAX = 2**64 - 1
NS_PER_SECOND = 10**9
#: Default upper bound of `seconds`: one day. A longer wait or timeout is almost always a unit
#: mistake (milliseconds or nanoseconds given as seconds).
MAX_WAIT_SECONDS = 86_400.0
#: The longest duration the server can hold: it counts nanoseconds in a signed 64-bit number
#: (about 292 years). Rounded down to whole seconds so that nats-py's float conversion
#: (``int(seconds * 1e9)``) never exceeds it.
MAX_DURATION_SECONDS = float(INT64_MAX // NS_PER_SECOND)

_BITS = {
    INT32_MAX: "a signed 32-bit number",
    INT64_MAX: "a signed 64-bit number",
    UINT64_MAX: "an unsigned 64-bit number",
}

_TIME_EXAMPLE = (
    "Pass a datetime, e.g. datetime.now(timezone.utc) - timedelta(minutes=5), or an ISO-8601 / "
    "RFC 3339 string such as '2030-01-01T12:00:00Z'"
)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _num(value: float) -> str:
    """A number as a person would write it: 5, 0.25, 1e-10, 1e+12."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def _human(secs: float) -> str:
    """86400 -> '1 day', 5400 -> '1.5 hours'."""
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        if secs >= size or unit == "second":
            amount = secs / size
            text = _num(amount) if amount == int(amount) else f"{amount:.3g}"
            return f"{text} {unit}" + ("" if text == "1" else "s")
    raise AssertionError  # pragma: no cover


def _with(why: str | None) -> str:
    return f" ({why})" if why else ""


def seconds(
    name: str,
    value: Any,
    *,
    minimum: float = 0.0,
    maximum: float | None = MAX_WAIT_SECONDS,
    allow_none: bool = False,
    why: str | None = None,
) -> float | None:
    """A duration in seconds (int, float or ``datetime.timedelta``) as a float.

    Refuses bool, str and other types (JslabTypeError); NaN, infinity, values below `minimum`
    (negative by default), above `maximum` (one day by default: pass a larger bound, or None for
    the server's limit of about 292 years) and values whose nanoseconds overflow a signed 64-bit
    number (ValidationError). `why`, when given, explains the bounds in the message.

        >>> seconds("wait", 0.5), seconds("wait", _dt.timedelta(minutes=1))
        (0.5, 60.0)
        >>> seconds("wait", 1e12)
        Traceback (most recent call last):
        jslab.errors.ValidationError: wait=1e+12 seconds is more than 86400 seconds (1 day), ...
    """
    if value is None:
        if allow_none:
            return None
        raise JslabTypeError(
            f"{name} is required: it is a duration in seconds. Pass a number, e.g. {name}=5, or "
            "a datetime.timedelta."
        )
    if isinstance(value, _dt.timedelta):
        secs = value.total_seconds()
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        hint = ""
        if isinstance(value, str):
            try:
                hint = f" Write {name}={_num(float(value))} (a number, not text)."
            except (ValueError, OverflowError):
                hint = (f" Text such as '30s' is not read: write {name}=30, or "
                        f"{name}=timedelta(minutes=5).")
        raise JslabTypeError(
            f"{name} is a duration in seconds (int, float or datetime.timedelta), not "
            f"{type(value).__name__} {_short(value)}."
            f"{hint or f' Example: {name}=30 for 30 seconds.'}"
        )
    else:
        try:
            secs = float(value)
        except OverflowError:
            raise ValidationError(
                f"{name}={_short(value)} is far too large to be a duration in seconds. Pass a "
                f"number of seconds such as {name}=30."
            ) from None
    limit = MAX_DURATION_SECONDS if maximum is None else min(maximum, MAX_DURATION_SECONDS)
    if math.isnan(secs):
        raise ValidationError(
            f"{name} is NaN (not a number): a duration must be a real number of seconds"
            f"{_with(why)}. Pass a number such as {name}=5; check how the value was computed."
        )
    if math.isinf(secs):
        raise ValidationError(
            f"{name}={_num(secs)} is infinite: the server stores durations as a finite count of "
            f"nanoseconds{_with(why)}. Pass a finite number of seconds, at most {_num(limit)}."
        )
    if secs < minimum:
        if secs < 0 and minimum >= 0:
            problem = "is negative: durations are 0 seconds or more"
        else:
            problem = f"is below the minimum of {_num(minimum)} seconds"
        raise ValidationError(
            f"{name}={_num(secs)} {problem}{_with(why)}. Pass a value of at least "
            f"{_num(minimum)} seconds."
        )
    if secs > limit:
        if maximum is not None and maximum <= MAX_DURATION_SECONDS:
            reason = why or (
                f"the kit's bound for {name}; a longer one is almost always a unit mistake, "
                "such as milliseconds given as seconds"
            )
            raise ValidationError(
                f"{name}={_num(secs)} seconds is more than {_num(maximum)} seconds "
                f"({_human(maximum)}), {reason}. Pass a value between {_num(minimum)} and "
                f"{_num(maximum)} seconds."
            )
        raise ValidationError(
            f"{name}={_num(secs)} seconds does not fit the server's duration counter: it holds "
            f"nanoseconds in a signed 64-bit number, at most {_num(MAX_DURATION_SECONDS)} "
            "seconds (about 292 years). Pass a smaller value."
        )
    return secs


def duration_ns(
    name: str,
    value: Any,
    *,
    minimum: float = 0.0,
    maximum: float | None = None,
    smallest: float | None = None,
    zero_means: str | None = None,
    allow_none: bool = False,
    why: str | None = None,
) -> int | None:
    """A duration in seconds converted to whole nanoseconds, as the server stores it.

    Checks like `seconds` (no upper bound but the server's ~292 years unless `maximum` is given),
    then refuses a positive value that would not survive the conversion: below 1 ns it would be
    sent as 0, which usually means "no limit" or "the default" (`zero_means` says which, e.g.
    ``"no age limit"``). `smallest` is the smallest positive value the server accepts (for
    instance 0.1 s for max_age and duplicate_window); `why` says why in the message.

        >>> duration_ns("ack_wait", 30)
        30000000000
        >>> duration_ns("max_age", 1e-10, zero_means="no age limit")
        Traceback (most recent call last):
        jslab.errors.ValidationError: max_age=1e-10 seconds is below the server's 1 ns ...
    """
    secs = seconds(name, value, minimum=minimum, maximum=maximum, allow_none=allow_none)
    if secs is None:
        return None
    zero = zero_means or "the server's default"
    if 0 < secs < 1e-9:
        raise ValidationError(
            f"{name}={_num(secs)} seconds is below the server's 1 ns resolution: it would be sent "
            f"as 0, which means {zero}. Use 0 for {zero}, or at least 1e-09 seconds (1 ns)."
        )
    if smallest is not None and 0 < secs < smallest:
        raise ValidationError(
            f"{name}={_num(secs)} seconds is below {_num(smallest)} seconds, the smallest value "
            f"the server accepts{_with(why)}. Use 0 for {zero}, or at least "
            f"{name}={_num(smallest)}."
        )
    ns = round(Fraction(secs) * NS_PER_SECOND)
    if ns > INT64_MAX:  # pragma: no cover - MAX_DURATION_SECONDS keeps this out of reach
        raise ValidationError(f"{name}={_num(secs)} seconds overflows the server's duration.")
    return ns


def count(
    name: str,
    value: Any,
    *,
    minimum: int = 0,
    maximum: int = INT64_MAX,
    allow_none: bool = False,
    unlimited: int | None = None,
    why: str | None = None,
) -> int | None:
    """A whole number (int, or any integral type such as numpy.int64) in ``[minimum, maximum]``.

    Refuses bool, float (even 5.0) and str with JslabTypeError, out-of-range values with
    ValidationError. `unlimited` is a value accepted outside the range (JetStream's -1 = no
    limit) and named in the message. `why` explains the range.

        >>> count("max_msgs", -1, minimum=1, unlimited=-1)
        -1
        >>> count("max_msgs", 2**63)
        Traceback (most recent call last):
        jslab.errors.ValidationError: max_msgs=9223372036854775808 is too large: the server ...
    """
    if value is None:
        if allow_none:
            return None
        raise JslabTypeError(f"{name} is required: pass an integer, e.g. {name}={max(minimum, 1)}.")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        hint = ""
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            hint = f" Write {name}={int(value)}."
        elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            hint = f" Write {name}={int(value)} (a number, not text)."
        else:
            hint = f" Example: {name}={max(minimum, 1)}."
        extra = " or -1 for unlimited" if unlimited == -1 else ""
        raise JslabTypeError(
            f"{name} must be an integer{extra}, not {type(value).__name__} {_short(value)}.{hint}"
        )
    number = int(value)
    if unlimited is not None and number == unlimited:
        return number
    alt = f", or {unlimited} for unlimited" if unlimited is not None else ""
    if number < minimum:
        problem = "is negative" if number < 0 <= minimum else f"is below {minimum}"
        raise ValidationError(
            f"{name}={number} {problem}{_with(why)}. Use an integer of at least {minimum}{alt}."
        )
    if number > maximum:
        bits = _BITS.get(maximum)
        if bits:
            reason = f"the server stores {name} as {bits}, so it can be at most {maximum:,}"
        else:
            reason = f"{name} can be at most {maximum:,}"
        raise ValidationError(
            f"{name}={number} is too large: {reason}{_with(why)}. Use a smaller value{alt}."
        )
    return number


# ISO-8601 / RFC 3339: date, optional time with any number of fraction digits, optional zone.
_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?:[.,](?P<frac>\d+))?)?"
    r"\s*(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


def _parse_iso(text: str) -> _dt.datetime | None:
    m = _ISO.fullmatch(text.strip())
    if not m:
        return None
    parts = m.group("date")
    if m.group("time"):
        parts += "T" + m.group("time")
        if m.group("frac"):
            parts += "." + m.group("frac")[:6].ljust(6, "0")
    zone = m.group("zone")
    if zone:
        if zone in "Zz":
            zone = "+00:00"
        elif len(zone) == 3:
            zone += ":00"
        elif ":" not in zone:
            zone = f"{zone[:3]}:{zone[3:]}"
        if not m.group("time"):
            parts += "T00:00"
        parts += zone
    try:
        return _dt.datetime.fromisoformat(parts)
    except ValueError:
        return None


def timestamp(name: str, value: Any) -> _dt.datetime:
    """A point in time as an aware UTC ``datetime``.

    Accepts a ``datetime`` (aware, or naive = local time as ``datetime.now()`` gives it, the way
    Python's ``astimezone()`` reads it) and an ISO-8601 / RFC 3339 string
    (``'2030-01-01T12:00:00Z'``, ``'2030-01-01 12:00:00+02:00'``; without a zone it is local
    time too; fractions beyond microseconds are cut). Anything else is refused with an example.

        >>> timestamp("opt_start_time", "2030-01-01T14:00:00+02:00").isoformat()
        '2030-01-01T12:00:00+00:00'
    """
    if isinstance(value, _dt.datetime):
        when = value
    elif isinstance(value, _dt.date):
        raise JslabTypeError(
            f"{name}={_short(value)} is a date without a time of day: JetStream needs an "
            f"instant. {_TIME_EXAMPLE}, or datetime.combine(day, time(), tzinfo=timezone.utc)."
        )
    elif isinstance(value, str):
        when = _parse_iso(value)
        if when is None:
            raise ValidationError(
                f"{name}={_short(value)} is not a date and time the kit can read: only ISO-8601 "
                f"/ RFC 3339 text is understood (no words like 'tomorrow'). {_TIME_EXAMPLE}."
            )
    else:
        kind = "a number is ambiguous (seconds since 1970? from now?)" if isinstance(
            value, numbers.Number) else f"{type(value).__name__} is not a point in time"
        raise JslabTypeError(f"{name}={_short(value)}: {kind}. {_TIME_EXAMPLE}.")
    try:
        return when.astimezone(_dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ValidationError(
            f"{name}={_short(value)} is out of the range of dates that can be converted to UTC "
            f"(years 1 to 9999). {_TIME_EXAMPLE}."
        ) from None


def flag(name: str, value: Any) -> bool:
    """True or False, nothing else (not 1, not "yes")."""
    if not isinstance(value, bool):
        raise JslabTypeError(f"{name} is True or False, not {_short(value)}.")
    return value
