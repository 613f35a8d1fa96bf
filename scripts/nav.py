"""Put a navigation line at the top and bottom of every notebook, and write the series index.

Each `notebooks/NN-*.ipynb` gets a markdown cell first and last holding one line,
``← previous · Contents · next →``, marked with ``<!-- jslab-nav -->`` so that a re-run
updates those two cells instead of adding more. Titles come from each notebook's first
``# `` heading. ``notebooks/README.md`` gets a table of the series (number, title, and the
first paragraph after the title), between ``<!-- jslab-index:start -->`` and
``<!-- jslab-index:end -->``; text outside those markers is kept.

Running it twice changes nothing the second time; files are written only when they change.

Example::

    .venv/bin/python scripts/nav.py            # update notebooks/
    .venv/bin/python scripts/nav.py --check    # exit 1 if anything is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
SERIES_GLOB = "[0-9][0-9]-*.ipynb"
NAV_MARKER = "<!-- jslab-nav -->"
INDEX_START = "<!-- jslab-index:start -->"
INDEX_END = "<!-- jslab-index:end -->"
INDEX_NAME = "README.md"
TOP_ID = "jslab-nav-top"
BOTTOM_ID = "jslab-nav-bottom"

README_HEAD = """\
# The jslab notebooks

Open them in order; each one starts its own `nats-server`, so any of them can be run alone.

"""


@dataclass(frozen=True)
class Entry:
    """One notebook of the series as the index and the navigation show it."""

    path: Path
    number: str
    title: str
    summary: str

    @property
    def label(self) -> str:
        return f"{self.number} · {self.title}"


def is_nav_cell(cell) -> bool:
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith(NAV_MARKER)


def _paragraphs(markdown: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", markdown) if p.strip()]


def _first_heading_and_summary(nb, fallback: str) -> tuple[str, str]:
    """The first `# ` heading, and the first plain paragraph after it."""
    title = None
    summary = ""
    for cell in nb.cells:
        if cell.cell_type != "markdown" or is_nav_cell(cell):
            continue
        for para in _paragraphs(cell.source):
            lines = para.splitlines()
            if title is None:
                for i, line in enumerate(lines):
                    if line.startswith("# "):
                        title = line[2:].strip()
                        rest = "\n".join(lines[i + 1 :]).strip()
                        if rest and not rest.startswith("#"):
                            summary = rest
                        break
                if summary:
                    break
                continue
            if para.startswith(("#", "<!--", "|", "```", "- ", "* ", ">")):
                continue
            summary = para
            break
        if title is not None and summary:
            break
    return (title or fallback), " ".join(summary.split())


def read_entry(path: Path) -> Entry:
    nb = nbformat.read(path, as_version=4)
    number, _, rest = path.stem.partition("-")
    title, summary = _first_heading_and_summary(nb, rest.replace("-", " ").capitalize())
    # Headings read "NN · Title"; the number is added back where the title is shown.
    title = re.sub(rf"^{re.escape(number)}\s*[·.:-]\s*", "", title)
    return Entry(path=path, number=number, title=title, summary=summary)


def nav_line(prev: Entry | None, next_: Entry | None) -> str:
    """The markdown of one navigation cell."""
    parts = []
    if prev is not None:
        parts.append(f"[← {prev.label}]({prev.path.name})")
    parts.append(f"[Contents]({INDEX_NAME})")
    if next_ is not None:
        parts.append(f"[{next_.label} →]({next_.path.name})")
    return f"{NAV_MARKER}\n" + " | ".join(parts)


def _nav_cell(nb, source: str, cell_id: str):
    cell = nbformat.v4.new_markdown_cell(source)
    if (nb.nbformat, nb.nbformat_minor) >= (4, 5):
        cell["id"] = cell_id
    else:
        cell.pop("id", None)
    return cell


def with_nav(nb, source: str):
    """`nb` with exactly one nav cell first and one last, both holding `source`."""
    body = [c for c in nb.cells if not is_nav_cell(c)]
    nb.cells = [_nav_cell(nb, source, TOP_ID), *body, _nav_cell(nb, source, BOTTOM_ID)]
    return nb


def _escape_cell(text: str) -> str:
    return text.replace("|", "\\|")


def index_table(entries: Sequence[Entry]) -> str:
    rows = ["| # | Notebook | What it covers |", "|---|---|---|"]
    for e in entries:
        rows.append(
            f"| {e.number} | [{_escape_cell(e.title)}]({e.path.name}) | {_escape_cell(e.summary)} |"
        )
    return "\n".join(rows)


def readme_text(existing: str | None, entries: Sequence[Entry]) -> str:
    """The README with the index between its markers (a fresh README if it has none)."""
    block = (
        f"{INDEX_START}\n<!-- written by scripts/nav.py from the notebooks' titles -->\n"
        f"{index_table(entries)}\n{INDEX_END}"
    )
    if existing and INDEX_START in existing and INDEX_END in existing:
        before, _, rest = existing.partition(INDEX_START)
        _, _, after = rest.partition(INDEX_END)
        return before + block + after
    return README_HEAD + block + "\n"


def _write_if_changed(path: Path, text: str, check: bool, changed: list[Path]) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        return
    changed.append(path)
    if not check:
        path.write_text(text, encoding="utf-8")


def update(folder: Path = NOTEBOOKS, check: bool = False) -> list[Path]:
    """Update nav cells and the index under `folder`; return the files that (would) change."""
    paths = sorted(Path(folder).glob(SERIES_GLOB))
    entries = [read_entry(p) for p in paths]
    changed: list[Path] = []
    for i, entry in enumerate(entries):
        prev = entries[i - 1] if i > 0 else None
        next_ = entries[i + 1] if i + 1 < len(entries) else None
        nb = nbformat.read(entry.path, as_version=4)
        text = nbformat.writes(with_nav(nb, nav_line(prev, next_)))
        text = text if text.endswith("\n") else text + "\n"
        _write_if_changed(entry.path, text, check, changed)
    if entries:
        index = Path(folder) / INDEX_NAME
        old = index.read_text(encoding="utf-8") if index.exists() else None
        _write_if_changed(index, readme_text(old, entries), check, changed)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Insert or update the navigation cells and the notebooks' README index.",
        epilog="example: python scripts/nav.py --check",
    )
    parser.add_argument("folder", nargs="?", type=Path, default=NOTEBOOKS)
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file is out of date"
    )
    args = parser.parse_args(argv)
    changed = update(args.folder, check=args.check)
    verb = "out of date" if args.check else "updated"
    for path in changed:
        print(f"{verb}: {path}")
    if not changed:
        print("navigation and index are up to date")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
