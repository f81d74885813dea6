"""Catalog API: the same FilterSet and queries as the public pages; answers cached per URL."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from portal.worktime import get_calendar
from procedures import queries
from procedures.api.serializers import (
    DueDateQuerySerializer,
    DueDateSerializer,
    ProcedureDetailSerializer,
    ProcedureListSerializer,
    SectorSerializer,
)
from procedures.cache import cache_key, fetch, store
from procedures.filters import ProcedureFilter
from procedures.models import Sector, VersionState

CODE_REGEX = r"[A-Za-z0-9.\-]+"


class CachedReadMixin:
    """Serve GET answers from the cache, keyed by the full URL and the catalog generation.

    The catalog API shows only published versions, the same for every caller, so answers are
    shared between users; only JSON is cached (the browsable HTML renderer is not).
    """

    cache_actions = ("list", "retrieve")

    def _cache_key(self, request):
        if request.method != "GET" or "text/html" in request.META.get("HTTP_ACCEPT", ""):
            return None
        if getattr(self, "action_map", {}).get("get") not in self.cache_actions:
            return None
        return cache_key("api", request, self.__class__.__name__)

    def dispatch(self, request, *args, **kwargs):
        key = self._cache_key(request)
        if key is not None:
            hit = fetch(key)
            if hit is not None:
                return HttpResponse(hit, content_type="application/json")
        response = super().dispatch(request, *args, **kwargs)
        if key is not None and response.status_code == 200:
            response.render()
            if response.get("Content-Type", "").startswith("application/json"):
                store(key, response.content)
        return response


@extend_schema(tags=["procedures"])
class ProcedureViewSet(CachedReadMixin, viewsets.ReadOnlyModelViewSet):
    """Published procedures. Filters: q, sector, agency, gov_level, service_level, online."""

    filterset_class = ProcedureFilter
    lookup_field = "procedure__code"
    lookup_url_kwarg = "code"
    lookup_value_regex = CODE_REGEX
    permission_classes = [AllowAny]

    def get_queryset(self):
        base = queries.public_versions(self.request.user)
        if self.action == "list":
            return queries.listing(base)
        return queries.full_record(base)

    def get_object(self):
        try:
            return super().get_object()
        except Http404 as exc:
            raise NotFound(_("Không tìm thấy thủ tục.")) from exc

    def get_serializer_class(self):
        return ProcedureListSerializer if self.action == "list" else ProcedureDetailSerializer

    @extend_schema(
        parameters=[OpenApiParameter("start", str, description="ISO 8601 datetime")],
        responses={200: DueDateSerializer},
    )
    @action(detail=True, methods=["get"], url_path="due-date", filterset_class=None)
    def due_date(self, request, code=None):
        """The appointment date of a dossier received at ``start`` (default: now)."""
        query = DueDateQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        version = queries.published_by_code(request.user, code)
        if version is None:
            raise NotFound(_("Không tìm thấy thủ tục."))
        channel = queries.filing_channel(version)
        if channel is None:
            return Response(
                {"detail": _("Thủ tục chưa công bố thời hạn giải quyết.")},
                status=status.HTTP_409_CONFLICT,
            )
        start = query.validated_data.get("start") or timezone.now()
        if timezone.is_naive(start):
            start = timezone.make_aware(start)
        try:
            due_at = get_calendar().due_at(start, channel.processing_time, channel.time_unit)
        except (ValueError, OverflowError):
            return Response(
                {"detail": _("Không tính được hạn giải quyết cho thời điểm này.")},
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = {
            "code": version.procedure.code,
            "start": start,
            "due_at": due_at,
            "channel": channel.kind,
            "processing_time": channel.processing_time,
            "time_unit": channel.time_unit,
        }
        return Response(DueDateSerializer(data).data)


@extend_schema(tags=["procedures"])
class SectorViewSet(CachedReadMixin, viewsets.ReadOnlyModelViewSet):
    """Sectors (lĩnh vực) with the number of published procedures in each."""

    serializer_class = SectorSerializer
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX
    permission_classes = [AllowAny]
    filterset_class = None
    filter_backends: list = []

    def get_queryset(self):
        return Sector.objects.annotate(
            procedure_count=Count("versions", filter=Q(versions__state=VersionState.PUBLISHED))
        ).order_by("name")
