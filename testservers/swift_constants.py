"""Constants the Python side shares with the Swift code, read from the Swift
sources themselves so that there is one copy: the report's eight headings
(`ReportOutline.headings`), the advisory-lock key spaces (`LockSpace`) and
the files under templates/ (`TemplateNames`).
Standard library only; importable from testservers/, integration/ and scripts/."""
from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_OUTLINE = REPO / "Sources" / "BilanCore" / "Report" / "ReportOutline.swift"
_LOCKS = REPO / "Sources" / "BilanCore" / "Database" / "AdvisoryLocks.swift"
_TEMPLATE_NAMES = REPO / "Sources" / "BilanCore" / "Templates" / "TemplateNames.swift"


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


def template_paths() -> dict[str, Path]:
    """`TemplateNames` constant → its file under templates/ (`labels` → templates/labels.txt)."""
    source = _TEMPLATE_NAMES.read_text(encoding="utf-8")
    names = dict(re.findall(r'static let (\w+) = "([^"]+)"', source))
    assert "labels" in names, f"no TemplateNames in {_TEMPLATE_NAMES}"
    return {name: REPO / "templates" / path for name, path in names.items()}


REPORT_HEADINGS = report_headings()
TEMPLATE_PATHS = template_paths()
