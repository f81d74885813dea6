"""``/stats/`` (public) and ``/desk/reports/`` (staff, their agencies only): the report with
charts and tables, and every table as CSV or XLSX (``?format=csv|xlsx[&table=<slug>]``)."""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dossiers.statistics import charts, exports, queries
from dossiers.statistics.cache import cache_public_page, page_context
from dossiers.statistics.forms import filter_fields
from dossiers.statistics.params import OutOfScope, ParamError, parse
from dossiers.statistics.tables import Table, format_cell, report_tables, step_tables
from portal.permissions import grants_for

FORMATS = ("csv", "xlsx")
#: Agencies listed on the page (the busiest first; ``?agencies=all`` and the exports: all).
AGENCY_ROWS = 30
FILTER_KEYS = ("year", "quarter", "month", "from", "to", "gov_level", "service_level", "agency")


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "dossiers/forbidden.html", {"message": message}, status=403)


def staff_only(view):
    """Anonymous → login; signed-in users without a staff role → 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        grants = grants_for(request.user)
        if not (grants.is_superuser or grants.is_staff_member):
            return _forbidden(request, _("Trang này dành cho cán bộ tiếp nhận, xử lý hồ sơ."))
        return view(request, *args, **kwargs)

    return wrapper


def scope_of(user) -> frozenset[int] | None:
    grants = grants_for(user)
    return None if grants.is_superuser else grants.agency_ids


def _with(request: HttpRequest, **values: str) -> str:
    params = request.GET.copy()
    for name, value in values.items():
        params[name] = value
    return params.urlencode()


def export_links(request: HttpRequest, slug: str | None) -> dict[str, str]:
    params = request.GET.copy()
    for name in ("format", "table"):
        params.pop(name, None)
    links = {}
    for fmt in FORMATS:
        params["format"] = fmt
        if slug:
            params["table"] = slug
        links[fmt] = "?" + params.urlencode()
    return links


def chart_sections(report: queries.Report) -> dict[str, charts.Chart]:
    """The charts, keyed by the slug of the table that carries their figures."""
    s = charts.Series
    catalog = report.catalog["levels"]
    result = {
        "catalog": charts.stacked_rows(
            "chart-catalog", _("Thủ tục hành chính theo cấp và mức độ"),
            _("Số thủ tục mỗi cấp, chia theo mức độ dịch vụ công trực tuyến."),
            [row["label"] for row in catalog],
            [s(_("Mức độ 1–2"), [row["level1"] + row["level2"] for row in catalog], "s4"),
             s(_("Mức độ 3"), [row["level3"] for row in catalog], "s2"),
             s(_("Mức độ 4"), [row["level4"] for row in catalog], "s1")],
        ),
    }  # fmt: skip
    if report.months:
        result["months"] = charts.columns(
            "chart-months", _("Hồ sơ tiếp nhận và đã giải quyết theo tháng"),
            _("Cột trái: số hồ sơ tiếp nhận; cột phải: số hồ sơ đã giải quyết, mỗi tháng."),
            [f"{row.key[5:7]}/{row.key[2:4]}" for row in report.months],
            [s(_("Tiếp nhận"), [r.figures.received for r in report.months], "s1"),
             s(_("Đã giải quyết"), [r.figures.resolved for r in report.months], "s2")],
        )  # fmt: skip
    if report.gov_levels:
        rows = [*report.gov_levels]
        result["gov_levels"] = charts.stacked_rows(
            "chart-timeliness", _("Kết quả giải quyết: trước hạn, đúng hạn, trễ hạn"),
            _("Tỷ lệ hồ sơ đã giải quyết trước hạn, đúng hạn và trễ hạn theo cấp thực hiện."),
            [row.label for row in rows],
            [s(_("Trước hạn"), [r.figures.resolved_early for r in rows], "s2"),
             s(_("Đúng hạn"), [r.figures.resolved_on_time for r in rows], "s1"),
             s(_("Trễ hạn"), [r.figures.resolved_late for r in rows], "s3")],
            percent=True,
        )  # fmt: skip
    if report.agencies:
        top = report.agencies[:10]
        result["agencies"] = charts.stacked_rows(
            "chart-agencies", _("Hồ sơ tiếp nhận theo cơ quan (10 cơ quan nhiều nhất)"),
            _("Số hồ sơ tiếp nhận trực tiếp, trực tuyến và qua bưu chính của mỗi cơ quan."),
            [row.label for row in top],
            [s(_("Trực tiếp"), [r.figures.received_direct for r in top], "s4"),
             s(_("Trực tuyến"), [r.figures.received_online for r in top], "s1"),
             s(_("Bưu chính"), [r.figures.received_postal for r in top], "s2")],
        )  # fmt: skip
    if report.years:
        result["years"] = charts.columns(
            "chart-years", _("Hồ sơ tiếp nhận và đã giải quyết theo năm"),
            _("Cột trái: số hồ sơ tiếp nhận; cột phải: số hồ sơ đã giải quyết, mỗi năm."),
            [row.label for row in report.years],
            [s(_("Tiếp nhận"), [r.figures.received for r in report.years], "s1"),
             s(_("Đã giải quyết"), [r.figures.resolved for r in report.years], "s2")],
        )  # fmt: skip
    if report.total.ratings:
        items = report.total.satisfaction()
        result["satisfaction"] = charts.stacked_rows(
            "chart-satisfaction", _("Mức độ hài lòng"),
            _("Số đánh giá theo từng mức của thang 5 mức."),
            [item["label"] for item in items],
            [s(_("Số đánh giá"), [item["count"] for item in items], "s1")],
        )  # fmt: skip
    return result


def cards(report: queries.Report) -> list[dict]:
    """The headline figures above the tables, formatted for the page."""
    total = report.total

    def number(value) -> str:
        return format_cell(value, "int")

    def percent(value) -> str:
        return "—" if value is None else format_cell(value, "pct") + "%"

    stock_note = ""
    if report.stock_day and report.stock_day < timezone.localdate():
        stock_note = _("tính đến hết ngày %(day)s") % {"day": report.stock_day.strftime("%d/%m/%Y")}
    elif report.stock_taken_at:
        at = timezone.localtime(report.stock_taken_at)
        stock_note = _("tính đến %(at)s") % {"at": at.strftime("%H:%M %d/%m/%Y")}
    return [
        {"label": _("Tổng số hồ sơ"), "value": number(total.total),
         "note": _("kỳ trước chuyển sang %(carried)s, tiếp nhận mới %(received)s")
         % {"carried": number(total.carried_over), "received": number(total.received)}},
        {"label": _("Đã giải quyết"), "value": number(total.resolved),
         "note": _("trước hạn %(early)s, đúng hạn %(on_time)s, trễ hạn %(late)s")
         % {"early": number(total.resolved_early), "on_time": number(total.resolved_on_time),
            "late": number(total.resolved_late)}},
        {"label": _("Đúng và trước hạn"), "value": percent(total.on_time_share), "note": ""},
        {"label": _("Nộp trực tuyến"), "value": percent(total.online_share), "note": ""},
        {"label": _("Đang giải quyết"), "value": number(total.in_process), "note": ""},
        {"label": _("Quá hạn"), "value": number(total.overdue), "note": stock_note},
    ]  # fmt: skip


def _render_report(request: HttpRequest, *, scope, template: str, staff: bool) -> HttpResponse:
    fmt = request.GET.get("format") or ""
    wanted = request.GET.get("table") or ""
    try:
        query = parse(request.GET, default_year=queries.default_year(), scope=scope)
        if fmt and fmt not in FORMATS:
            raise ParamError({"format": [_("Chọn csv hoặc xlsx.")]})
    except ParamError as exc:
        context = {"errors": exc.errors, "staff": staff}
        return render(request, "stats/invalid.html", page_context(request, context), status=400)
    except OutOfScope:
        return _forbidden(request, _("Bạn không có quyền xem số liệu của cơ quan này."))
    report = queries.build_report(query, procedure_limit=None if fmt else 20)
    tables: list[Table] = report_tables(report)
    if staff:
        tables += step_tables(queries.step_rows(query))
    if fmt:
        if wanted:
            tables = [t for t in tables if t.slug == wanted]
            if not tables:
                context = {"errors": {"table": [_("Không có bảng này.")]}, "staff": staff}
                return render(
                    request, "stats/invalid.html", page_context(request, context), status=400
                )
        stem = "bao-cao" if staff else "thong-ke"
        return exports.download(
            tables, fmt, f"{stem}-{query.period.start:%Y%m%d}-{query.period.end:%Y%m%d}"
        )
    figures = chart_sections(report)
    show_all = request.GET.get("agencies") == "all"
    sections = []
    for table in tables:
        hidden = 0
        if table.slug == "agencies" and not show_all and len(table.rows) > AGENCY_ROWS:
            hidden = len(table.rows) - AGENCY_ROWS
            table.rows = table.rows[:AGENCY_ROWS]
        sections.append(
            {
                "table": table,
                "chart": figures.get(table.slug),
                "links": export_links(request, table.slug),
                "hidden": hidden,
                "show_all": f"?{_with(request, agencies='all')}#bang-agencies",
            }
        )
    initial = {key: request.GET.get(key, "") for key in FILTER_KEYS}
    initial["year"] = initial["year"] or str(query.period.year or "")
    years = [*queries.years_with_data(), timezone.localdate().year]
    if query.period.year:
        years.append(query.period.year)
    context = {
        "report": report,
        "cards": cards(report),
        "sections": sections,
        "period": query.period,
        "fields": filter_fields(initial, years, queries.agencies_with_data(scope)),
        "years": sorted(set(queries.years_with_data()), reverse=True),
        "all_links": export_links(request, None),
        "staff": staff,
    }
    return render(request, template, page_context(request, context))


@require_GET
@cache_public_page
def public_stats(request: HttpRequest) -> HttpResponse:
    return _render_report(request, scope=None, template="stats/public.html", staff=False)


@require_GET
@staff_only
def desk_reports(request: HttpRequest) -> HttpResponse:
    return _render_report(
        request, scope=scope_of(request.user), template="stats/desk.html", staff=True
    )
