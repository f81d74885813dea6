"""CSV and XLSX downloads of the report's tables.

Text cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return — agency, procedure and staff names are typed by people) are
neutralised with a leading apostrophe, in CSV and in XLSX alike; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from django.http import HttpResponse
from django.utils.text import slugify

from dossiers.statistics.tables import Table

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """The cell as written: numbers as they are, text neutralised, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _rows(table: Table) -> list[list]:
    rows = [[safe_cell(c.label) for c in table.columns]]
    rows += [[safe_cell(v) for v in row] for row in table.rows]
    if table.footer:
        rows.append([safe_cell(v) for v in table.footer])
    return rows


def csv_bytes(tables: Sequence[Table]) -> bytes:
    """UTF-8 with a byte-order mark (Excel opens Vietnamese text correctly); several tables
    are separated by a blank line and preceded by their title."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, table in enumerate(tables):
        if len(tables) > 1:
            if index:
                writer.writerow([])
            writer.writerow([safe_cell(table.title)])
        writer.writerows(_rows(table))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        name = (slugify(table.slug) or "bang")[:28]
        while name in used:
            name = name[:26] + f"_{len(used)}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append([safe_cell(table.title)])
        sheet["A1"].font = Font(bold=True)
        for row in _rows(table):
            sheet.append(row)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(tables: Sequence[Table], fmt: str, basename: str) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(xlsx_bytes(tables), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(csv_bytes(tables), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{basename}.{fmt}"'
    return response
