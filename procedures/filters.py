"""The catalog FilterSet, shared by the public page and the API (one definition, one behaviour).

Parameters: ``q`` (accent-insensitive words, procedures/search.py), ``sector`` (sector code),
``agency`` (implementing agency code), ``gov_level`` (province / district / commune),
``service_level`` (1–4) and ``online`` (true: level 3 or 4). An unknown code yields an empty
result; a value outside a choice list, an over-long ``q`` or a NUL byte makes the form invalid
(the API answers 400, the page shows the error) — never a database error.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.models import UnitLevel
from procedures.models import ProcedureVersion, ServiceLevel
from procedures.search import MAX_QUERY_LENGTH, search_filter

CODE_MAX = 40


class ProcedureFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=MAX_QUERY_LENGTH,
        label=_("Từ khoá hoặc mã thủ tục"),
    )
    sector = django_filters.CharFilter(
        field_name="sectors__code", max_length=CODE_MAX, label=_("Lĩnh vực")
    )
    agency = django_filters.CharFilter(
        field_name="implementing_agency__code", max_length=CODE_MAX, label=_("Cơ quan thực hiện")
    )
    gov_level = django_filters.ChoiceFilter(choices=UnitLevel.choices, label=_("Cấp thực hiện"))
    service_level = django_filters.TypedChoiceFilter(
        choices=ServiceLevel.choices, coerce=int, label=_("Mức độ dịch vụ công")
    )
    online = django_filters.BooleanFilter(
        method="filter_online",
        label=_("Nộp trực tuyến"),
        widget=forms.Select(choices=[("", "---"), ("true", _("Có")), ("false", _("Không"))]),
    )

    class Meta:
        model = ProcedureVersion
        fields = ["q", "sector", "agency", "gov_level", "service_level", "online"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(search_filter(value)) if value else queryset

    def filter_online(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(service_level__gte=ServiceLevel.PARTIAL)
        return queryset.filter(service_level__lt=ServiceLevel.PARTIAL)
