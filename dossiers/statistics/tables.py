"""The report as tables: what the page shows under each chart, and what CSV/XLSX export.

One definition serves both, so every table on screen can be downloaded as it is.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from dossiers.statistics.figures import Figures, Row
from dossiers.statistics.queries import Report


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # "text" | "int" | "pct" | "num"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    #: One list per row, values in the order of ``columns``.
    rows: list[list] = field(default_factory=list)
    footer: list | None = None

    def body_html(self) -> SafeString:
        """The ``<tbody>`` rows, built here rather than by template loops (tables of a hundred
        agencies × fourteen columns render ten times faster)."""
        formatter = Formatter()
        return mark_safe("".join(self._row_html(row, formatter) for row in self.rows))

    def footer_html(self) -> SafeString:
        return mark_safe(self._row_html(self.footer, Formatter()) if self.footer else "")

    def _row_html(self, row: list, formatter: Formatter) -> str:
        cells = []
        for index, (value, column) in enumerate(zip(row, self.columns, strict=True)):
            text = html.escape(formatter.cell(value, column.kind))
            if index == 0:
                cells.append(f'<th scope="row">{text}</th>')
            elif column.numeric:
                cells.append(f'<td class="num">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        return f"<tr>{''.join(cells)}</tr>"


class Formatter:
    """Localised cell text: ``1.537`` and ``97,5`` in Vietnamese, ``1,537`` and ``97.5`` in
    English; "—" when unknown. The separators are looked up once per table."""

    def __init__(self):
        self.thousand = get_format("THOUSAND_SEPARATOR") or "."
        self.decimal = get_format("DECIMAL_SEPARATOR") or ","

    def cell(self, value, kind: str) -> str:
        if value is None:
            return "—"
        if kind == "text":
            return str(value)
        if kind == "int" or (isinstance(value, int) and kind == "num"):
            return f"{int(value):,}".replace(",", self.thousand)
        text = f"{value:,.1f}"
        return text.replace(",", "\x00").replace(".", self.decimal).replace("\x00", self.thousand)


def format_cell(value, kind: str) -> str:
    return Formatter().cell(value, kind)


def result_columns(first: str) -> list[Column]:
    return [
        Column("label", first, "text"),
        Column("total", _("Tổng số hồ sơ")),
        Column("carried_over", _("Kỳ trước chuyển sang")),
        Column("received_direct", _("Tiếp nhận trực tiếp")),
        Column("received_online", _("Tiếp nhận trực tuyến")),
        Column("received_postal", _("Tiếp nhận qua bưu chính")),
        Column("resolved", _("Đã giải quyết")),
        Column("resolved_early", _("Trước hạn")),
        Column("resolved_on_time", _("Đúng hạn")),
        Column("resolved_late", _("Trễ hạn")),
        Column("in_process", _("Đang giải quyết")),
        Column("overdue", _("Quá hạn")),
        Column("on_time_share", _("Tỷ lệ đúng và trước hạn (%)"), "pct"),
        Column("online_share", _("Tỷ lệ nộp trực tuyến (%)"), "pct"),
    ]


def result_values(label: str, figures: Figures) -> list:
    c = figures.counts
    return [
        label,
        figures.total,
        figures.carried_over,
        c["received_direct"],
        c["received_online"],
        c["received_postal"],
        c["resolved"],
        c["resolved_early"],
        c["resolved_on_time"],
        c["resolved_late"],
        figures.in_process,
        figures.overdue,
        figures.on_time_share,
        figures.online_share,
    ]


def result_table(
    slug: str, title: str, first: str, rows: list[Row], total: Figures | None
) -> Table:
    table = Table(slug, title, result_columns(first))
    table.rows = [result_values(row.label, row.figures) for row in rows]
    if total is not None:
        table.footer = result_values(_("Tổng cộng"), total)
    return table


def catalog_table(report: Report) -> Table:
    catalog = report.catalog
    table = Table(
        "catalog",
        _("Danh mục thủ tục hành chính theo cấp và mức độ dịch vụ công trực tuyến"),
        [
            Column("label", _("Cấp thực hiện"), "text"),
            Column("total", _("Số thủ tục")),
            Column("level1", _("Mức độ 1")),
            Column("level2", _("Mức độ 2")),
            Column("level3", _("Mức độ 3 (một phần)")),
            Column("level4", _("Mức độ 4 (toàn trình)")),
        ],
    )
    for level in catalog["levels"]:
        table.rows.append([level["label"], level["total"], level["level1"], level["level2"],
                           level["level3"], level["level4"]])  # fmt: skip
    table.footer = [_("Tổng cộng"), catalog["total"], catalog["level1"], catalog["level2"],
                    catalog["level3"], catalog["level4"]]  # fmt: skip
    return table


def indicators_table(report: Report) -> Table:
    values = report.indicators()
    table = Table(
        "indicators",
        _("Chỉ số chất lượng giải quyết thủ tục hành chính (Quyết định 766/QĐ-TTg)"),
        [Column("label", _("Chỉ số"), "text"), Column("value", _("Giá trị"), "num")],
    )
    table.rows = [
        [_("Tỷ lệ thủ tục cung cấp dịch vụ công trực tuyến (%)"),
         values["procedures_online_share"]],
        [_("Số thủ tục có phát sinh hồ sơ trực tuyến"), values["procedures_with_online_dossiers"]],
        [_("Tỷ lệ thủ tục trực tuyến có phát sinh hồ sơ (%)"),
         values["procedures_with_online_dossiers_share"]],
        [_("Tỷ lệ hồ sơ nộp trực tuyến (%)"), values["online_filing_share"]],
        [_("Tỷ lệ thanh toán trực tuyến (%)"), values["online_payment_share"]],
        [_("Tỷ lệ hồ sơ có kết quả điện tử (%)"), values["electronic_result_share"]],
        [_("Tỷ lệ giải quyết đúng và trước hạn (%)"), values["on_time_share"]],
        [_("Thời gian giải quyết trung bình (ngày)"), values["average_processing_days"]],
        [_("Điểm hài lòng trung bình (thang 5)"), values["average_rating"]],
        [_("Tỷ lệ hài lòng và rất hài lòng (%)"), values["satisfied_share"]],
    ]  # fmt: skip
    return table


def procedures_table(report: Report, title: str | None = None) -> Table:
    table = Table(
        "procedures",
        title or _("Thời gian giải quyết trung bình theo thủ tục"),
        [
            Column("code", _("Mã thủ tục"), "text"),
            Column("name", _("Tên thủ tục"), "text"),
            Column("received", _("Tiếp nhận")),
            Column("received_online", _("Trực tuyến")),
            Column("resolved", _("Đã giải quyết")),
            Column("on_time_share", _("Đúng và trước hạn (%)"), "pct"),
            Column("average_days", _("Thời gian trung bình (ngày)"), "num"),
        ],
    )
    for row in report.procedures:
        f = row.figures
        table.rows.append([row.code, row.name, f.received, f.received_online, f.resolved,
                           f.on_time_share, f.average_days])  # fmt: skip
    return table


def satisfaction_table(report: Report) -> Table:
    table = Table(
        "satisfaction",
        _("Mức độ hài lòng của người dân, doanh nghiệp"),
        [
            Column("label", _("Mức độ"), "text"),
            Column("count", _("Số đánh giá")),
            Column("share", _("Tỷ lệ (%)"), "pct"),
        ],
    )
    table.rows = [
        [item["label"], item["count"], item["share"]] for item in report.total.satisfaction()
    ]
    table.footer = [_("Tổng cộng"), report.total.ratings, 100.0 if report.total.ratings else None]
    return table


def report_tables(report: Report) -> list[Table]:
    """Every table of the public report, in page order."""
    period = report.period.label
    tables = [
        catalog_table(report),
        result_table("summary", _("Tình hình giải quyết hồ sơ – %(period)s") % {"period": period},
                     _("Kỳ báo cáo"), [Row("total", period, report.total)], None),
        indicators_table(report),
        result_table("months", _("Theo tháng"), _("Tháng"), report.months, report.total),
        result_table("quarters", _("Theo quý"), _("Quý"), report.quarters, report.total),
        result_table("years", _("Theo năm"), _("Năm"), report.years, None),
        result_table("agencies", _("Theo cơ quan tiếp nhận"), _("Cơ quan"), report.agencies,
                     report.total),
        result_table("gov_levels", _("Theo cấp thực hiện"), _("Cấp"), report.gov_levels,
                     report.total),
        result_table("service_levels", _("Theo mức độ dịch vụ công trực tuyến"), _("Mức độ"),
                     report.service_levels, report.total),
        procedures_table(report),
        satisfaction_table(report),
    ]  # fmt: skip
    return tables


def step_tables(steps: dict[str, list[dict]]) -> list[Table]:
    """Per-step lateness (staff reports)."""
    columns = [
        Column("steps", _("Số bước đã xử lý")),
        Column("late", _("Số bước trễ hạn")),
        Column("late_share", _("Tỷ lệ trễ (%)"), "pct"),
        Column("late_hours", _("Trễ trung bình (giờ)"), "num"),
    ]

    def values(row: dict) -> list:
        steps_done, late = int(row["steps"] or 0), int(row["late"] or 0)
        hours = round(int(row["late_us"] or 0) / late / 3_600_000_000, 1) if late else None
        return [steps_done, late, round(100 * late / steps_done, 1) if steps_done else None, hours]

    agencies = Table("step_agencies", _("Trễ hạn theo bước xử lý – theo cơ quan"),
                     [Column("agency", _("Cơ quan"), "text"), *columns])  # fmt: skip
    agencies.rows = [[row["agency__name"], *values(row)] for row in steps["agencies"]]
    people = Table("step_people", _("Trễ hạn theo bước xử lý – theo cán bộ"),
                   [Column("person", _("Cán bộ"), "text"), Column("agency", _("Cơ quan"), "text"),
                    *columns])  # fmt: skip
    people.rows = [
        [row["person__full_name"] or row["person__username"] or _("(không xác định)"),
         row["agency__name"], *values(row)]
        for row in steps["people"]
    ]  # fmt: skip
    return [agencies, people]
