"""``GET /api/v1/stats/summary/``: the figures behind ``/stats/`` as JSON (public).

Same parameters and validation as the page (``params.py``); answers are shared by every caller
and cached per URL (``cache.py``). The serializers below document the answer's shape in the
OpenAPI schema; the view builds the same dictionaries directly (a test keeps them in step).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dossiers.statistics import cache as stats_cache
from dossiers.statistics import queries
from dossiers.statistics.figures import Figures
from dossiers.statistics.params import ParamError, parse

PROCEDURE_LIMIT = 50


class FiguresSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="carried_over + received")
    carried_over = serializers.IntegerField(help_text="in process at the start of the period")
    received = serializers.IntegerField()
    received_direct = serializers.IntegerField()
    received_online = serializers.IntegerField()
    received_postal = serializers.IntegerField()
    resolved = serializers.IntegerField(help_text="returned to the applicant")
    resolved_early = serializers.IntegerField()
    resolved_on_time = serializers.IntegerField()
    resolved_late = serializers.IntegerField()
    in_process = serializers.IntegerField(help_text="at the end of the period")
    overdue = serializers.IntegerField(allow_null=True, help_text="null: no stock snapshot")
    completed = serializers.IntegerField(help_text="result ready (status 9) in the period")
    withdrawn = serializers.IntegerField()
    refused = serializers.IntegerField()
    resolved_electronic = serializers.IntegerField()
    resolved_with_fee = serializers.IntegerField()
    resolved_paid_online = serializers.IntegerField()
    on_time_share = serializers.FloatField(allow_null=True, help_text="%")
    online_share = serializers.FloatField(allow_null=True, help_text="%")
    electronic_share = serializers.FloatField(allow_null=True, help_text="%")
    online_payment_share = serializers.FloatField(allow_null=True, help_text="%")
    average_processing_days = serializers.FloatField(allow_null=True)
    ratings = serializers.IntegerField()
    average_rating = serializers.FloatField(allow_null=True)


class RowSerializer(FiguresSerializer):
    key = serializers.CharField()
    label = serializers.CharField()


class AgencyRowSerializer(RowSerializer):
    agency = serializers.CharField(help_text="agency code")


class PeriodSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(["year", "quarter", "month", "range"])
    start = serializers.DateField()
    end = serializers.DateField()
    year = serializers.IntegerField(allow_null=True)
    quarter = serializers.IntegerField(allow_null=True)
    month = serializers.IntegerField(allow_null=True)
    label = serializers.CharField()


class CatalogLevelSerializer(serializers.Serializer):
    gov_level = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    level1 = serializers.IntegerField()
    level2 = serializers.IntegerField()
    level3 = serializers.IntegerField()
    level4 = serializers.IntegerField()


class CatalogSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    level1 = serializers.IntegerField()
    level2 = serializers.IntegerField()
    level3 = serializers.IntegerField()
    level4 = serializers.IntegerField()
    levels = CatalogLevelSerializer(many=True)


class ProcedureRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    received = serializers.IntegerField()
    received_online = serializers.IntegerField()
    resolved = serializers.IntegerField()
    on_time_share = serializers.FloatField(allow_null=True)
    average_processing_days = serializers.FloatField(allow_null=True)


class ScoreSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)


class SatisfactionSerializer(serializers.Serializer):
    ratings = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True)
    scores = ScoreSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    period = PeriodSerializer()
    filters = serializers.DictField(child=serializers.CharField(allow_null=True))
    catalog = CatalogSerializer()
    totals = FiguresSerializer()
    indicators = serializers.DictField(child=serializers.FloatField(allow_null=True))
    by_month = RowSerializer(many=True)
    by_quarter = RowSerializer(many=True)
    by_year = RowSerializer(many=True)
    by_agency = AgencyRowSerializer(many=True)
    by_gov_level = RowSerializer(many=True)
    by_service_level = RowSerializer(many=True)
    procedures = ProcedureRowSerializer(many=True)
    satisfaction = SatisfactionSerializer()
    stock_day = serializers.DateField(
        allow_null=True, help_text="day of the stock snapshot behind `overdue` (null: none)"
    )
    stock_taken_at = serializers.DateTimeField(allow_null=True)


def _row(row, **extra) -> dict:
    return {"key": row.key, "label": row.label, **extra, **row.figures.as_dict()}


def _procedure(row) -> dict:
    f: Figures = row.figures
    return {
        "code": row.code,
        "name": row.name,
        "received": f.received,
        "received_online": f.received_online,
        "resolved": f.resolved,
        "on_time_share": f.on_time_share,
        "average_processing_days": f.average_days,
    }


def summary(report: queries.Report) -> dict:
    q = report.query
    total = report.total
    return {
        "period": q.period.as_dict(),
        "filters": {
            "gov_level": q.gov_level,
            "service_level": str(q.service_level) if q.service_level else None,
            "agency": q.agency.code if q.agency else None,
        },
        "catalog": report.catalog,
        "totals": total.as_dict(),
        "indicators": report.indicators(),
        "by_month": [_row(r) for r in report.months],
        "by_quarter": [_row(r) for r in report.quarters],
        "by_year": [_row(r) for r in report.years],
        "by_agency": [_row(r, agency=r.code) for r in report.agencies],
        "by_gov_level": [_row(r) for r in report.gov_levels],
        "by_service_level": [_row(r) for r in report.service_levels],
        "procedures": [_procedure(r) for r in report.procedures],
        "satisfaction": {
            "ratings": total.ratings,
            "average": total.average_rating,
            "scores": total.satisfaction(),
        },
        "stock_day": report.stock_day.isoformat() if report.stock_day else None,
        "stock_taken_at": report.stock_taken_at.isoformat() if report.stock_taken_at else None,
    }


PARAMETERS = [
    OpenApiParameter(
        "year", OpenApiTypes.INT, description="2000–2100 (default: latest year with data)"
    ),
    OpenApiParameter("quarter", OpenApiTypes.INT, description="1–4, within year"),
    OpenApiParameter("month", OpenApiTypes.INT, description="1–12, within year"),
    OpenApiParameter("from", OpenApiTypes.DATE, description="range start (instead of year)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="range end, inclusive"),
    OpenApiParameter("gov_level", OpenApiTypes.STR, enum=["province", "district", "commune"]),
    OpenApiParameter("service_level", OpenApiTypes.INT, enum=[1, 2, 3, 4]),
    OpenApiParameter("agency", OpenApiTypes.STR, description="receiving agency code"),
]


class StatsSummaryView(APIView):
    """Dossiers received, resolved early / on time / late, in process and overdue, by month,
    quarter, year, agency, gov level and service level; the catalog by level; Quyết định 766
    indicators; average processing time of the busiest procedures (top 50); satisfaction."""

    permission_classes = [AllowAny]
    filter_backends: list = []

    @extend_schema(tags=["statistics"], parameters=PARAMETERS, responses={200: SummarySerializer})
    def get(self, request):
        try:
            query = parse(request.query_params, default_year=queries.default_year())
        except ParamError as exc:
            raise ValidationError(exc.errors) from exc
        report = queries.build_report(query, procedure_limit=PROCEDURE_LIMIT)
        return Response(summary(report))

    def dispatch(self, request, *args, **kwargs):
        cacheable = (
            request.method == "GET"
            and "text/html" not in request.META.get("HTTP_ACCEPT", "")
            and stats_cache.timeout() > 0
        )
        if not cacheable:
            return super().dispatch(request, *args, **kwargs)
        answered: list = []

        def build() -> tuple[bytes, dict] | None:
            response = super(StatsSummaryView, self).dispatch(request, *args, **kwargs)
            answered.append(response)
            if response.status_code != 200:
                return None
            response.render()
            if not response.get("Content-Type", "").startswith("application/json"):
                return None
            return response.content, {"Content-Type": response["Content-Type"]}

        entry = stats_cache.serve(stats_cache.key("api", request), build)
        if entry is None:
            return answered[0]
        if answered:
            return answered[0]
        return HttpResponse(entry[0], content_type=entry[1]["Content-Type"])
