"""docs/grading.md lists the recorded laptops' grades with the shipped CPU table: the
scores, notes and categories written there are what the code gives (the doc cannot go
stale), and every real laptop of the corpus is listed."""

from __future__ import annotations

from pathlib import Path

from test_grading_table import CASES

from bench_agent.grading import default_cpu_table, grade_unit, load_profile

DOC = Path(__file__).resolve().parents[2] / "docs" / "grading.md"
# The corpus' real laptops in test_grading_table.py (the cases after them are made up).
REAL = [case.name for case in CASES[: [c.name for c in CASES].index("Apple MacBookAir10,1 M1") + 1]]


def _rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- recorded-grades:begin -->")[1].split("<!-- recorded-grades:end -->")[0]
    lines = [line for line in block.strip().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_listed_grades_are_what_the_code_gives() -> None:
    rows = _rows()
    assert [row[0] for row in rows] == REAL
    assert len(REAL) == 17
    profile = load_profile("network-2024")
    table = default_cpu_table()
    by_name = {case.name: case for case in CASES}
    for name, _cpu, score, note, category, expected, _why in rows:
        grade = grade_unit(by_name[name].report, profile, table)
        assert grade.cpu is not None
        assert score == (str(grade.cpu.score) if grade.cpu.score is not None else "—"), name
        assert (int(note), category) == (grade.note, grade.category), name
        assert expected in {"D", "C", "B", "A", "PREMIUM", "TO_REPAIR", "NOT_DISTRIBUTABLE"}
