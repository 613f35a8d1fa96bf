"""Checks for 51-mirrors-and-sources.

    >>> jslab.check.ex("51.1", lab)
    ✓ 51.1 passed: REFUNDS mirrors SHOP's 2 refunds at SHOP's sequences [2, 5]; the 3 sales ...
"""

from __future__ import annotations

import time

from ..errors import StreamNotFoundError
from . import NotYet, exercise

#: Copies arrive in the background: how long a check waits for a copy to catch up.
_SETTLE_S = 2.0


def _stream(lab, name: str, what: str):
    """The stream's info, or NotYet saying what to create (in words, not a call)."""
    try:
        return lab.stream_info(name, subjects_filter=">")
    except StreamNotFoundError:
        raise NotYet(f"there is no stream {name} yet: create {what}.") from None


def _settled(lab, name: str, want: int):
    """The stream's info once it holds ``want`` messages (or after a short wait)."""
    deadline = time.monotonic() + _SETTLE_S
    while True:
        info = lab.stream_info(name, subjects_filter=">")
        if info.state.messages >= want or time.monotonic() > deadline:
            return info
        time.sleep(0.02)


def _counts(info) -> dict[str, int]:
    return dict(info.state.subjects or {})


def _transforms(source) -> list:
    return list(getattr(source, "subject_transforms", None) or [])


@exercise("51.1", "a mirror that keeps only the refunds")
def refunds(lab) -> str:
    shop = _stream(lab, "SHOP", "a stream named SHOP capturing shop.>")
    counts = _counts(shop)
    sales, refunds_ = counts.get("shop.sale", 0), counts.get("shop.refund", 0)
    if sales < 3 or refunds_ < 2:
        raise NotYet(f"SHOP holds {sales} message(s) on shop.sale and {refunds_} on shop.refund; "
                     "publish three sales and two refunds.")
    mirror_ = _stream(lab, "REFUNDS", "a mirror of SHOP that copies only shop.refund")
    cfg = mirror_.config
    if cfg.mirror is None:
        what = "sources" if cfg.sources else "its own subjects"
        raise NotYet(f"REFUNDS is a stream with {what}, not a mirror: a mirror names its origin "
                     "in the mirror setting (section 'A mirror'). Delete REFUNDS and create it "
                     "again.")
    if cfg.mirror.name != "SHOP":
        raise NotYet(f"REFUNDS mirrors {cfg.mirror.name}; it should mirror SHOP. A mirror's "
                     "origin cannot change (10055): delete REFUNDS and create it again.")
    transforms = _transforms(cfg.mirror)
    selected = ([t.src for t in transforms] if transforms
                else [cfg.mirror.filter_subject] if cfg.mirror.filter_subject else [])
    if not selected:
        raise NotYet("REFUNDS copies every subject of SHOP, sales included: it should keep only "
                     "shop.refund (section 'Filtered mirrors'). A mirror's settings cannot be "
                     "changed: delete REFUNDS and create it again with a filter.")
    if selected != ["shop.refund"]:
        raise NotYet(f"REFUNDS copies {', '.join(map(str, selected))}; it should copy only "
                     "shop.refund. Delete REFUNDS and create it again.")
    held = _settled(lab, "REFUNDS", refunds_)
    if held.state.messages != refunds_:
        raise NotYet(f"REFUNDS holds {held.state.messages} message(s) and SHOP {refunds_} "
                     "refund(s); a mirror copies in the background: run the check again.")
    seqs = [int(s) for s in lab.messages("REFUNDS")["seq"]]
    return (f"REFUNDS mirrors SHOP's {refunds_} refunds at SHOP's sequences {seqs}; the "
            f"{sales} sales left gaps (first sequence {held.state.first_seq}).")


@exercise("51.2", "two regions aggregated under renamed subjects")
def sales(lab) -> str:
    regions = {}
    for region in ("eu", "us"):
        name = f"SALES_{region.upper()}"
        info = _stream(lab, name, f"a stream named {name} capturing {region}.sales.>")
        if info.state.messages < 1:
            raise NotYet(f"{name} is empty: publish at least one sale to {region}.sales.<...>.")
        regions[region] = info.state.messages
    agg = _stream(lab, "SALES", "a stream without subjects that aggregates SALES_EU and SALES_US")
    cfg = agg.config
    if cfg.mirror is not None:
        raise NotYet("SALES is a mirror, and a mirror copies exactly one stream: aggregate with "
                     "sources (section 'Sources'). Delete SALES and create it again.")
    if cfg.subjects:
        raise NotYet(f"SALES captures {', '.join(cfg.subjects)} itself; it should have no "
                     "subjects of its own, only what its sources bring. Delete it and create it "
                     "again.")
    names_ = [s.name for s in cfg.sources or []]
    missing = [n for n in ("SALES_EU", "SALES_US") if n not in names_]
    if missing:
        raise NotYet(f"SALES has no source {' or '.join(missing)} yet: it should aggregate both "
                     "regional streams (sources can be changed with a stream update).")
    total = sum(regions.values())
    held = _settled(lab, "SALES", total)
    counts = _counts(held)
    for region, expected in regions.items():
        renamed = sum(n for s, n in counts.items() if s.startswith(f"sales.{region}."))
        original = sum(n for s, n in counts.items() if s.startswith(f"{region}.sales."))
        if original:
            raise NotYet(f"SALES stores {original} {region.upper()} sale(s) under their original "
                         f"names ({region}.sales.<...>); rename them on the way to "
                         f"sales.{region}.<...> (section 'Renaming subjects while aggregating'). "
                         "Update SALES' sources or delete it and create it again.")
        if renamed != expected:
            raise NotYet(f"SALES holds {renamed} sale(s) under sales.{region}.<...> and "
                         f"SALES_{region.upper()} holds {expected}; copies arrive in the "
                         "background: run the check again.")
    return (f"SALES aggregates {regions['eu']} European and {regions['us']} US sale(s) as "
            f"sales.eu.* and sales.us.*: {held.state.messages} messages, numbered by SALES in "
            "arrival order.")


@exercise("51.3", "a source that starts at sequence 2")
def audit(lab) -> str:
    eu = _stream(lab, "SALES_EU", "it first (exercise 51.2)")
    if eu.state.last_seq < 2:
        raise NotYet(f"SALES_EU's last sequence is {eu.state.last_seq}; publish at least two "
                     "sales to it first (exercise 51.2).")
    audit_ = _stream(lab, "AUDIT", "a stream that copies SALES_EU from its sequence 2 on")
    cfg = audit_.config
    sources = cfg.sources or []
    if cfg.mirror is not None or [s.name for s in sources] != ["SALES_EU"]:
        raise NotYet("AUDIT should have exactly one source, SALES_EU (section 'Copying less'); "
                     "delete it and create it again.")
    src = sources[0]
    if src.filter_subject or _transforms(src):
        raise NotYet("AUDIT's source filters or renames subjects; it should copy every subject "
                     "of SALES_EU, only starting later.")
    if not src.opt_start_seq:
        raise NotYet("AUDIT copies SALES_EU from its first message: start the source at "
                     "sequence 2 (section 'Copying less'). Delete AUDIT and create it again.")
    if src.opt_start_seq != 2:
        raise NotYet(f"AUDIT's source starts at sequence {src.opt_start_seq}; it should start "
                     "at 2. Delete AUDIT and create it again.")
    want = eu.state.last_seq - 1
    held = _settled(lab, "AUDIT", want)
    if held.state.messages != want:
        raise NotYet(f"AUDIT holds {held.state.messages} message(s); SALES_EU has {want} from "
                     "sequence 2 on. Copies arrive in the background: run the check again.")
    return (f"AUDIT holds SALES_EU's {want} message(s) from sequence 2 on, numbered by AUDIT "
            f"from 1 ({held.state.messages} in all); SALES_EU's sequence 1 was never copied.")
