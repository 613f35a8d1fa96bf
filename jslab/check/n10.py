"""Checks for 10-subject-filtering.

    >>> jslab.check.ex("10.1", lab)
"""

from __future__ import annotations

from ..errors import StreamNotFoundError
from ..names import subject_matches
from . import NotYet, exercise


def _shop(lab):
    try:
        info = lab.stream_info("EX_SHOP", subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet("there is no stream EX_SHOP yet: the exercise starts with a stream that "
                     "captures ex.shop.>.") from None
    subjects = set((info.state.subjects or {}).keys())
    wanted = {"ex.shop.eu.new", "ex.shop.us.new", "ex.shop.eu.paid"}
    if not wanted <= subjects:
        raise NotYet(f"EX_SHOP holds no message on {sorted(wanted - subjects)} yet: the exercise "
                     "publishes one to each of the three subjects.")
    return subjects


def _filters(ci) -> list[str]:
    cfg = ci.config
    return list(cfg.filter_subjects or ([cfg.filter_subject] if cfg.filter_subject else []))


def _sees(filters: list[str], subject: str) -> bool:
    return not filters or any(subject_matches(f, subject) for f in filters)


def _check_view(lab, name: str, should_see: set[str], should_not: set[str], n_filters: int):
    subjects = _shop(lab)
    if name not in lab.consumer_names("EX_SHOP"):
        raise NotYet(f"EX_SHOP has no consumer {name} yet: a durable consumer with a filter.")
    filters = _filters(lab.consumer_info("EX_SHOP", name))
    if len(filters) < n_filters:
        raise NotYet(f"{name} has {len(filters)} filter(s) ({filters or 'none'}); it needs "
                     f"{n_filters}, given together as a list.")
    missed = sorted(s for s in should_see & subjects if not _sees(filters, s))
    if missed:
        raise NotYet(f"{name}'s filters {filters} miss {missed}: a wildcard token (* for one "
                     "token, > for the rest) can cover what differs.")
    extra = sorted(s for s in should_not & subjects if _sees(filters, s))
    if extra:
        raise NotYet(f"{name}'s filters {filters} also let through {extra}: keep the tokens "
                     "that tell them apart.")
    return filters


@exercise("10.1", "a consumer that sees only European orders")
def europe(lab) -> str:
    filters = _check_view(lab, "eu_watch", {"ex.shop.eu.new", "ex.shop.eu.paid"},
                          {"ex.shop.us.new"}, 1)
    return f"eu_watch sees only European orders (filter {filters})."


@exercise("10.2", "a consumer with two filters: every new order and US paid orders")
def two_filters(lab) -> str:
    filters = _check_view(lab, "new_and_paid_us", {"ex.shop.eu.new", "ex.shop.us.new",
                                                   "ex.shop.us.paid"}, {"ex.shop.eu.paid"}, 2)
    return f"new_and_paid_us filters {filters}."
