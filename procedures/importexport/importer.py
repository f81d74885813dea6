"""Importing a catalog file: validate every row, then write everything or nothing.

Every problem is collected (row number, column, Vietnamese message) before anything is written;
one problem anywhere refuses the whole file. A valid file goes through ``procedures.bulk`` in
one transaction: unchanged rows (same content hash) do nothing, changed rows make a new
version (published with ``publish``, else a draft).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from procedures import bulk
from procedures.importexport.columns import (
    ALL_COLUMNS,
    COLUMNS,
    column_for,
    column_label,
    row_to_snapshot,
)
from procedures.importexport.tables import TableError, read_table
from procedures.validation import Lookups, validate

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ImportProblem:
    row: int  # 0: the file as a whole; 1: the header
    column: str
    message: str

    @property
    def column_label(self) -> str:
        """The column's Vietnamese name (the column name itself when it has none)."""
        return column_label(self.column) if self.column else ""

    def __str__(self) -> str:
        if self.row == 0:
            return self.message
        if not self.column:
            return _("Dòng %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        if self.column_label == self.column:
            return _("Dòng %(row)s, cột %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Dòng %(row)s, cột “%(label)s” (%(column)s): %(message)s") % {
            "row": self.row,
            "label": self.column_label,
            "column": self.column,
            "message": self.message,
        }


class ImportRejected(Exception):
    """The file was refused; ``problems`` lists every reason."""

    def __init__(self, problems: list[ImportProblem]):
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


def parse(data: bytes, filename: str = "", lookups: Lookups | None = None) -> list[bulk.RowInput]:
    """The rows of a catalog file as snapshots; raises ``ImportRejected`` listing every problem."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected(
            [
                ImportProblem(
                    0, "", _("Tệp quá lớn (tối đa %(n)s MB).") % {"n": MAX_FILE_BYTES // 2**20}
                )
            ]
        )
    try:
        table = read_table(data, filename)
    except TableError as exc:
        raise ImportRejected([ImportProblem(0, "", exc.message)]) from exc

    problems: list[ImportProblem] = []
    seen: set[str] = set()
    for column in table.header:
        if column in seen:
            problems.append(ImportProblem(1, column, _("Cột bị lặp lại.")))
        elif column not in ALL_COLUMNS:
            problems.append(ImportProblem(1, column, _("Cột không thuộc định dạng danh mục.")))
        seen.add(column)
    for column in COLUMNS:
        if column not in seen:
            problems.append(ImportProblem(1, column, _("Thiếu cột bắt buộc.")))
    if problems:
        raise ImportRejected(problems)

    lookups = lookups or Lookups.load()
    rows: list[bulk.RowInput] = []
    first_row_of: dict[str, int] = {}
    width = len(table.header)
    for number, cells in table.rows:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            problems.append(ImportProblem(number, "", _("Dòng có nhiều ô hơn tiêu đề.")))
        record = dict(zip(table.header, cells + [""] * (width - len(cells)), strict=False))
        code, snapshot, row_problems = row_to_snapshot(record)
        problems += [ImportProblem(number, column, message) for column, message in row_problems]
        if code in first_row_of:
            problems.append(
                ImportProblem(
                    number,
                    "code",
                    _("Mã thủ tục %(code)s trùng với dòng %(row)s.")
                    % {"code": code, "row": first_row_of[code]},
                )
            )
        elif code:
            first_row_of[code] = number
        for path, message in validate(snapshot, lookups):
            column, prefix = column_for(path)
            problems.append(ImportProblem(number, column, prefix + message))
        rows.append(bulk.RowInput(row=number, code=code, snapshot=snapshot))
    if not rows and not problems:
        problems.append(ImportProblem(0, "", _("Tệp không có dòng dữ liệu nào.")))
    if problems:
        raise ImportRejected(problems)
    return rows


def import_catalog(
    data: bytes,
    filename: str = "",
    *,
    actor=None,
    publish: bool = False,
    dry_run: bool = False,
) -> bulk.Result:
    """Validate and import a catalog file in one transaction (nothing written on any error)."""
    lookups = Lookups.load()
    rows = parse(data, filename, lookups)
    note = _("Nhập từ tệp %(name)s") % {"name": filename or "-"}
    return bulk.write(
        rows, lookups=lookups, publish=publish, actor=actor, note=note, dry_run=dry_run
    )
