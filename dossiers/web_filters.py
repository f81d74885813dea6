"""The desk queue's filters: the shared ``DossierFilter`` narrowed to what the page offers
(procedure, sector, assignee, date range, search), with select boxes for sector and assignee.
Status is chosen by the queue's tabs, not by a filter."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from dossiers.filters import DossierFilter
from dossiers.forms import DateInput

DESK_FILTERS = ("q", "procedure", "sector", "assignee", "submitted_from", "submitted_to")


class DeskFilter(DossierFilter):
    sector = django_filters.ChoiceFilter(method="filter_sector", label=_("Lĩnh vực"))
    assignee = django_filters.ChoiceFilter(
        field_name="assignee__username", label=_("Chuyên viên xử lý")
    )
    submitted_from = django_filters.DateFilter(
        field_name="submitted_at",
        lookup_expr="date__gte",
        label=_("Nộp từ ngày"),
        widget=DateInput,
    )
    submitted_to = django_filters.DateFilter(
        field_name="submitted_at",
        lookup_expr="date__lte",
        label=_("Nộp đến ngày"),
        widget=DateInput,
    )

    def __init__(self, data=None, queryset=None, *, sectors=(), assignees=(), **kwargs):
        super().__init__(data, queryset, **kwargs)
        for name in list(self.filters):
            if name not in DESK_FILTERS:
                del self.filters[name]
        self.filters["sector"].extra["choices"] = list(sectors)
        self.filters["assignee"].extra["choices"] = list(assignees)
        self.filters["procedure"].label = _("Mã thủ tục")

    @property
    def is_active(self) -> bool:
        return any(self.data.get(name) for name in DESK_FILTERS) if self.data else False
