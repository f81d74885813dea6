"""The filter selects of the statistics pages. Built here as plain labelled ``<select>``s rather
than a Django form: the agency list has a hundred and more options, and widget templates per
option cost more than the rest of the page (``params.parse`` validates the query string)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from portal.models import UnitLevel
from procedures.models import ServiceLevel


@dataclass(frozen=True)
class FilterField:
    name: str
    label: str
    options_html: SafeString


def _options(choices: list[tuple[str, str]], selected: str, blank: bool = True) -> SafeString:
    items = [("", _("Tất cả"))] if blank else []
    items += choices
    return mark_safe(
        "".join(
            f'<option value="{escape(value)}"{" selected" if value == selected else ""}>'
            f"{escape(label)}</option>"
            for value, label in items
        )
    )


def filter_fields(initial: dict[str, str], years: list[int], agencies) -> list[FilterField]:
    def field(name: str, label: str, choices, blank: bool = True) -> FilterField:
        return FilterField(name, label, _options(choices, initial.get(name, ""), blank))

    return [
        field(
            "year", _("Năm"), [(str(y), str(y)) for y in sorted(set(years), reverse=True)], False
        ),
        field("quarter", _("Quý"), [(str(q), _("Quý %s") % q) for q in range(1, 5)]),
        field("month", _("Tháng"), [(str(m), _("Tháng %s") % m) for m in range(1, 13)]),
        field("gov_level", _("Cấp thực hiện"), [(v, str(label)) for v, label in UnitLevel.choices]),
        field(
            "service_level",
            _("Mức độ dịch vụ công"),
            [(str(v), str(label)) for v, label in ServiceLevel.choices],
        ),
        field("agency", _("Cơ quan tiếp nhận"), [(a.code, a.name) for a in agencies]),
    ]
