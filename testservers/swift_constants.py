"""Constants the Python side shares with the Swift code, read from the Swift
sources themselves so that there is one copy: the report's eight headings
(`ReportOutline.headings`) and the advisory-lock key spaces (`LockSpace`).
Standard library only; importable from testservers/, integration/ and scripts/."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_OUTLINE = REPO / "Sources" / "BilanCore" / "Report" / "ReportOutline.swift"
_LOCKS = REPO / "Sources" / "BilanCore" / "Database" / "AdvisoryLocks.swift"


def report_headings() -> list[str]:
    """The `##` headings of every report, in order."""
    source = _OUTLINE.read_text(encoding="utf-8")
    block = re.search(r"static let headings = \[(.*?)\]", source, re.S)
    assert block, f"no `headings` list in {_OUTLINE}"
    headings = re.findall(r'"((?:[^"\\]|\\.)*)"', block.group(1))
    assert len(headings) == 8, headings
    return headings


def lock_spaces() -> dict[str, int]:
    """`LockSpace` case name → first key of the advisory lock."""
    source = _LOCKS.read_text(encoding="utf-8")
    spaces = {name: int(value) for name, value in re.findall(r"case (\w+) = (\d+)", source)}
    assert spaces, f"no LockSpace in {_LOCKS}"
    return spaces


REPORT_HEADINGS = report_headings()
