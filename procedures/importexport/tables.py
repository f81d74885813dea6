"""Reading and writing the catalog table as CSV (UTF-8) or XLSX.

Readers return the header and the data rows as text cells with their row numbers as a
spreadsheet shows them (the header is row 1). Problems that make the whole file unreadable
(encoding, damaged XLSX, no header) raise ``TableError`` with a Vietnamese message.

CSV cells that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a
carriage return) are written with a leading apostrophe, as are cells already starting with
one; the reader removes exactly that apostrophe, so the escaping round-trips.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
XLSX_MAGIC = b"PK\x03\x04"
MAX_ROWS = 100_000


class TableError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str]]]


def detect_format(data: bytes, filename: str = "") -> str:
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return "xlsx"
    return "csv"


def _escape(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _unescape(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def read_csv(data: bytes) -> Table:
    if b"\x00" in data:
        raise TableError(_("Tệp chứa ký tự NUL: không phải tệp CSV văn bản UTF-8."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            _(
                "Tệp không được mã hoá UTF-8 (byte lỗi ở vị trí %(pos)s). Hãy lưu lại tệp dạng "
                "“CSV UTF-8” rồi nhập lại."
            )
            % {"pos": exc.start}
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise TableError(_("Tệp CSV hỏng: %(error)s.") % {"error": exc}) from exc
    return _table(records, unescape=True)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise TableError(_("Tệp XLSX hỏng hoặc không đúng định dạng.")) from exc
    try:
        sheet = workbook.worksheets[0]
        records = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    return _table(records, unescape=False)


def _table(records: list[list[str]], *, unescape: bool) -> Table:
    if not records or not any(cell.strip() for cell in records[0]):
        raise TableError(_("Tệp trống hoặc thiếu dòng tiêu đề."))
    header = [cell.strip().lstrip("\ufeff") for cell in records[0]]
    while header and not header[-1]:
        header.pop()
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        cells = [_unescape(cell) if unescape else cell for cell in record]
        rows.append((number, cells))
    if len(rows) > MAX_ROWS:
        raise TableError(_("Tệp có quá nhiều dòng (tối đa %(n)s).") % {"n": MAX_ROWS})
    return Table(header=header, rows=rows)


def read_table(data: bytes, filename: str = "") -> Table:
    if detect_format(data, filename) == "xlsx":
        return read_xlsx(data)
    return read_csv(data)


def write_csv(header: list[str], rows: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_escape(cell) for cell in row])
    # A byte-order mark lets spreadsheet programs recognise UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(header: list[str], rows: Iterable[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("catalog")
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            # Text, never a formula: "=…" from the catalog must not run in a spreadsheet.
            cell.data_type = "s"
            cell.number_format = "@"
            cells.append(cell)
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
