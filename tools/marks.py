"""Marks in the code and the docs that point at the requirements or the facts pages, and whether they resolve.

A requirement mark (`R12`) must have a heading `R12 ...` in docs/requirements.md. A section mark (`§3`,
`§2.4`) must have a heading `§3 ...` in the file it names just before it (`docs/facts/maventa.md §2.4`;
`§2.1, §2.3` after it continue the same file), or else in the file's own default: docs/requirements.md, the
page itself for a docs/facts page, or what a markdown file declares with `<!-- marks: docs/... -->`. A
reference to notes that are not in the repository (a research note, the original specification) is dangling
by definition.

    python -m tools.marks        lists every dangling mark, exits 1 if there is one
"""

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = "docs/requirements.md"
FACTS = "docs/facts/"
CODE_SUFFIXES = frozenset(
    {".py", ".toml", ".yml", ".yaml", ".ini", ".cfg", ".sh", ".html", ".j2", ".mako", ".md"}
)
CODE_NAMES = frozenset({"Makefile", "Dockerfile"})
SKIPPED_PARTS = frozenset(
    {".git", ".venv", "__pycache__", "node_modules", "data", ".mypy_cache", ".ruff_cache"}
)
SKIPPED_FOLDERS = ("tests/corpus/", "contracts/maventa/", "contracts/netvisor/")
"""Third-party documents kept verbatim, whose own section signs are not ours."""
SKIPPED_FILES = frozenset({"tools/marks.py"})
"""This checker, whose docstrings show the marks' forms."""

SECTION = r"[A-Z]?\d+(?:\.\d+)*"
TO = r"\s?[-\u2013]\s?"
"""A range's hyphen or en dash."""
SECTION_MARK = re.compile(rf"(?<!RFC )(?<!\d )§\s?(?P<first>{SECTION})(?:{TO}§?(?P<last>{SECTION}))?")
"""A section sign and its number, or a range of them (`§2.2-2.3`, `§2.1-§2.4`); one after an RFC number or any
other number (`RFC 6749 §5.2`, `Act 241/2019 §4`) belongs to that public text."""
CITED = re.compile(
    rf"(?P<file>docs/[\w/.-]+\.md)(?P<marks>(?:\s*(?:,|and|\+)?\s*§\s?{SECTION}(?:{TO}§?{SECTION})?)+)"
)
"""A facts page named with the section marks that follow it: `docs/facts/maventa.md §2.1, §3`."""
REQUIREMENT_MARK = re.compile(rf"(?<![\w/.-])R(?P<first>\d{{1,2}})(?:{TO}R(?P<last>\d{{1,2}}))?(?![\w])")
OUTSIDE = re.compile(r"research(?:/[\w.-]+\.md|\s*§)|\bSPEC\s*§|\bFE\s*§|\bthe research\b", re.IGNORECASE)
"""Notes that are not in the repository (research notes, the original specification), by any name the
code gave them."""
DECLARED = re.compile(r"<!--\s*marks:\s*(?P<file>docs/[\w/.-]+\.md)\s*-->")
HEADING = re.compile(rf"^#{{1,6}}\s+(?P<mark>§{SECTION}|R\d+)\b", re.MULTILINE)


@dataclass(frozen=True)
class Dangling:
    path: str
    line: int
    mark: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.mark}: {self.why}"


def headings(repo: Path, document: str) -> frozenset[str] | None:
    """The marks a document's headings define, or None when the document does not exist."""
    path = repo / document
    if not path.is_file():
        return None
    return frozenset(match["mark"] for match in HEADING.finditer(path.read_text(encoding="utf-8")))


def default_document(relative: str, text: str) -> str:
    if relative.startswith(FACTS):
        return relative
    declared = DECLARED.search(text)
    return declared["file"] if declared else REQUIREMENTS


def marked_files(repo: Path) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(repo):
        here = Path(folder)
        subfolders[:] = sorted(
            name for name in subfolders if name not in SKIPPED_PARTS and not name.endswith(".egg-info")
        )
        for name in sorted(names):
            path = here / name
            relative = str(path.relative_to(repo))
            if relative.startswith(SKIPPED_FOLDERS) or relative in SKIPPED_FILES:
                continue
            if path.suffix in CODE_SUFFIXES or name in CODE_NAMES:
                yield path


def dangling_in(repo: Path, relative: str, text: str) -> Iterator[Dangling]:
    default = default_document(relative, text)
    known: dict[str, frozenset[str] | None] = {}

    def resolves(document: str, mark: str) -> str | None:
        if document not in known:
            known[document] = headings(repo, document)
        found = known[document]
        if found is None:
            return f"{document} does not exist"
        return None if mark in found else f"no heading {mark} in {document}"

    for number, line in enumerate(text.splitlines(), start=1):
        for outside in OUTSIDE.finditer(line):
            yield Dangling(relative, number, outside.group(), "points outside the repository")
        cited = [(match.span("marks"), match["file"]) for match in CITED.finditer(line)]
        for match in SECTION_MARK.finditer(line):
            document = next((file for (start, end), file in cited if start <= match.start() < end), default)
            for part in ("first", "last"):
                if match[part] is not None and (why := resolves(document, "§" + match[part])) is not None:
                    yield Dangling(relative, number, match.group(), why)
        for match in REQUIREMENT_MARK.finditer(line):
            for part in ("first", "last"):
                if match[part] is not None and (why := resolves(REQUIREMENTS, "R" + match[part])) is not None:
                    yield Dangling(relative, number, match.group(), why)


def dangling_marks(repo: Path = REPO) -> list[Dangling]:
    found: list[Dangling] = []
    for path in marked_files(repo):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found.extend(dangling_in(repo, str(path.relative_to(repo)), text))
    return found


def main() -> int:
    found = dangling_marks()
    for dangling in found:
        print(dangling)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
