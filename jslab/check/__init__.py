"""Exercise checks: look at the learner's server and say pass, or what is still missing.

    >>> jslab.check.ex("04.1", lab)
    ✓ 04.1 passed: stream LOGS keeps at most 3 messages per subject.

Each notebook's checks live in a module of this package (``n04.py`` for notebook 04) and are
registered with :func:`exercise`. A check inspects real server state through the lab and
raises :class:`NotYet` with a specific hint when the exercise is not done.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import JslabError

__all__ = ["CheckResult", "NotYet", "ex", "exercise", "exercises", "require_retention",
           "require_stream"]

_REGISTRY: dict[str, tuple[str, Callable[[Any], str]]] = {}


class NotYet(JslabError):
    """The exercise is not done yet; the message says what is missing."""


@dataclass(frozen=True)
class CheckResult:
    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✓" if self.passed else "✗"
        verdict = "passed" if self.passed else "not yet"
        return f"{mark} {self.exercise} {verdict}: {self.message}"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


def require_stream(lab: Any, name: str, subjects: str | None = None, *, extra: str = "",
                   subjects_filter: str | None = None) -> Any:
    """The stream's info (one request), or NotYet saying how to create it.

        >>> info = require_stream(lab, "EX01", "ex01.>")
    """
    from ..errors import StreamNotFoundError

    try:
        return lab.stream_info(name, subjects_filter=subjects_filter)
    except StreamNotFoundError:
        args = [repr(name)]
        if subjects:
            args.append(f"subjects=[{subjects!r}]")
        if extra:
            args.append(extra)
        raise NotYet(f"there is no stream {name} yet: lab.add_stream({', '.join(args)}).") from None


def exercise(exercise_id: str, title: str) -> Callable:
    """Register a check: a function ``(lab) -> success message`` raising NotYet otherwise."""

    def register(fn: Callable[[Any], str]) -> Callable[[Any], str]:
        if exercise_id in _REGISTRY:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        _REGISTRY[exercise_id] = (title, fn)
        return fn

    return register


def _load_all() -> None:
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("n"):
            importlib.import_module(f"{__name__}.{mod.name}")


def exercises() -> dict[str, str]:
    """Every exercise id with its title."""
    _load_all()
    return {k: v[0] for k, v in sorted(_REGISTRY.items())}


def ex(exercise_id: str, lab: Any) -> CheckResult:
    """Check exercise ``exercise_id`` (e.g. "04.1") against the lab's server."""
    _load_all()
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise JslabError(f"no exercise {exercise_id!r}; known exercises: {known}")
    _title, fn = _REGISTRY[exercise_id]
    try:
        return CheckResult(exercise_id, True, fn(lab))
    except NotYet as e:
        return CheckResult(exercise_id, False, str(e))
    except JslabError as e:
        # A missing stream or consumer is the usual reason: say it as a hint, not a crash.
        first = str(e).splitlines()[0]
        return CheckResult(exercise_id, False, f"{first} — create what the exercise asks first.")


def require_retention(lab: Any, name: str, subjects: str, retention: str, described: str, *,
                      fix: str = "Delete the stream and create it again.",
                      subjects_filter: str | None = None) -> Any:
    """The stream's info when it exists with ``retention``; NotYet saying how otherwise.

    ``described`` names the retention in the notebook's words (and the section teaching it).

        >>> info = require_retention(lab, "CHORES", "chores.>", "workqueue", "work-queue retention")
    """
    from ..errors import StreamNotFoundError

    try:
        info = lab.stream_info(name, subjects_filter=subjects_filter)
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: create it on {subjects} with "
                     f"{described}.") from None
    current = getattr(info.config.retention, "value", info.config.retention)
    if current != retention:
        raise NotYet(f"{name} has retention={current!r}; it needs {described}. {fix}")
    return info
