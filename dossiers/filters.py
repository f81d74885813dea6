"""The dossier FilterSet shared by the desk queues (pages) and the API.

Every filter validates its input (unknown status → 400, NUL bytes refused by the form fields),
and none of them widens the queryset it is given: callers pass ``visible_to(user)`` first.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier, Status, overdue_q
from procedures.models import ProcedureVersion

ORDERING_FIELDS = (
    ("due_at", "due_at"),
    ("submitted_at", "submitted_at"),
    ("received_at", "received_at"),
    ("code", "code"),
)


class DossierFilter(django_filters.FilterSet):
    status = django_filters.TypedMultipleChoiceFilter(
        choices=Status.choices, coerce=int, label=_("Trạng thái")
    )
    procedure = django_filters.CharFilter(
        field_name="procedure__code", max_length=40, label=_("Mã thủ tục")
    )
    agency = django_filters.CharFilter(
        method="filter_agency", max_length=30, label=_("Cơ quan (tiếp nhận, xử lý hoặc trả)")
    )
    current_agency = django_filters.CharFilter(
        field_name="current_agency__code", max_length=30, label=_("Cơ quan đang xử lý")
    )
    sector = django_filters.CharFilter(method="filter_sector", max_length=30, label=_("Lĩnh vực"))
    assignee = django_filters.CharFilter(
        field_name="assignee__username", max_length=150, label=_("Chuyên viên")
    )
    channel = django_filters.ChoiceFilter(
        choices=Dossier._meta.get_field("channel").choices, label=_("Hình thức nộp")
    )
    overdue = django_filters.ChoiceFilter(
        choices=[("true", _("Có")), ("false", _("Không")), ("1", "1"), ("0", "0")],
        method="filter_overdue",
        label=_("Quá hạn"),
    )
    submitted_from = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__gte", label=_("Nộp từ ngày")
    )
    submitted_to = django_filters.DateFilter(
        field_name="submitted_at", lookup_expr="date__lte", label=_("Nộp đến ngày")
    )
    q = django_filters.CharFilter(
        method="filter_search", max_length=100, label=_("Mã hồ sơ, người nộp, điện thoại")
    )
    ordering = django_filters.OrderingFilter(fields=ORDERING_FIELDS, label=_("Sắp xếp"))

    class Meta:
        model = Dossier
        fields: list[str] = []

    def filter_agency(self, queryset, name, value):
        return queryset.filter(
            Q(receiving_agency__code=value)
            | Q(current_agency__code=value)
            | Q(returning_agency__code=value)
        )

    def filter_sector(self, queryset, name, value):
        versions = ProcedureVersion.objects.filter(sectors__code=value).values("pk")
        return queryset.filter(procedure_version__in=versions)

    def filter_overdue(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        condition = overdue_q(timezone.now())
        return queryset.filter(condition) if value in ("true", "1") else queryset.exclude(condition)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        phone = value.replace(" ", "")
        condition = Q(code__iexact=value) | Q(applicant_name__icontains=value)
        if phone.lstrip("+").isdigit():
            condition |= Q(applicant_phone=phone) | Q(applicant_id_number=phone)
        if len(value) >= 6:
            condition |= Q(code__istartswith=value)
        return queryset.filter(condition)
