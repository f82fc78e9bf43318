"""Every requirement and section mark in the repository names a heading that exists (tools/marks.py)."""

from pathlib import Path

from tools.marks import dangling_in, dangling_marks

SIGN = "\N{SECTION SIGN}"
"""Spelt out, so that this file's own examples are not marks the repository check reads."""


def _repository(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "facts").mkdir(parents=True)
    (docs / "requirements.md").write_text(f"# Requirements\n\n## {SIGN}3 Lifecycle\n\n### R1 Same day\n")
    (docs / "facts" / "maventa.md").write_text(f"# Maventa\n\n### {SIGN}2.4 Sending\n\n## {SIGN}3 Errors\n")
    return tmp_path


def test_every_mark_in_the_repository_resolves() -> None:
    dangling = dangling_marks()
    assert not dangling, "dangling marks:\n" + "\n".join(str(mark) for mark in dangling)


def test_marks_that_name_no_heading_or_point_outside_the_repository_are_found(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    code = "\n".join(
        [
            f'"""Lifecycle ({SIGN}3, R1); sending (docs/facts/maventa.md {SIGN}2.4, {SIGN}3)."""',
            f"# a requirement that is not written: R{16}; a section that is not: {SIGN}9",
            f"# docs/facts/maventa.md {SIGN}2.4-{SIGN}2.5 ends where the page has no heading",
            f"# docs/facts/netvisor.md {SIGN}1 names a page that does not exist",
            f"# research {SIGN}2.2 and SPEC {SIGN}3 are notes outside the repository; RFC 6749 {SIGN}5.2 is "
            "a public standard's",
        ]
    )
    found = [(mark.line, mark.mark, mark.why) for mark in dangling_in(repo, "activities/example.py", code)]
    assert found == [
        (2, f"{SIGN}9", f"no heading {SIGN}9 in docs/requirements.md"),
        (2, f"R{16}", f"no heading R{16} in docs/requirements.md"),
        (3, f"{SIGN}2.4-{SIGN}2.5", f"no heading {SIGN}2.5 in docs/facts/maventa.md"),
        (4, f"{SIGN}1", "docs/facts/netvisor.md does not exist"),
        (5, f"research {SIGN}", "points outside the repository"),
        (5, f"SPEC {SIGN}", "points outside the repository"),
        (5, f"{SIGN}2.2", f"no heading {SIGN}2.2 in docs/requirements.md"),
    ]


def test_a_markdown_page_can_name_the_page_its_bare_marks_refer_to(tmp_path: Path) -> None:
    repo = _repository(tmp_path)
    table = f"| upload | {SIGN}2.4 |\n| lifecycle | docs/requirements.md {SIGN}3 |\n"
    declared = "<!-- marks: docs/facts/maventa.md -->\n" + table
    assert list(dangling_in(repo, "docs/sandbox.md", declared)) == []
    assert [mark.mark for mark in dangling_in(repo, "docs/other.md", table)] == [f"{SIGN}2.4"]
