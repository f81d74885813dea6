"""Thin REST layer over the dossier services (interfaces.md "REST API")."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from dossiers.api.serializers import (
    ActionRequestSerializer,
    DossierDetailSerializer,
    DossierSerializer,
    EventSerializer,
    FilingRequestSerializer,
    TrackQuerySerializer,
    TrackSerializer,
    dossier_detail_payload,
)
from dossiers.attachments import open_attachment
from dossiers.errors import DossierError, NotFound
from dossiers.filing import default_channel_for, file_dossier
from dossiers.filters import DossierFilter
from dossiers.models import Attachment, Dossier, DossierEvent, FilingChannel
from dossiers.tracking import count_lookup, track
from dossiers.workflow import find_visible, transition
from portal.api.parsers import MultipartFormParser

CODE_REGEX = r"[A-Za-z0-9.\-_]+"
#: Body keys the services fill themselves (never accepted from the client as data).
RESERVED_KEYS = {"files", "checked", "result_file", "draft_file", "generate_with"}
#: Single-file fields of some actions (complete, submit-for-approval), not filing documents.
ACTION_FILE_FIELDS = ("result_file", "draft_file")
LIST_FIELDS = {"documents"}


class DomainErrorsMixin:
    """Domain errors → their HTTP status with ``{"detail": ...}``."""

    def handle_exception(self, exc):
        if isinstance(exc, DossierError):
            return Response({"detail": exc.message}, status=exc.status_code)
        return super().handle_exception(exc)


def _detail_queryset(user):
    return (
        Dossier.objects.visible_to(user)
        .select_related(
            "procedure",
            "procedure_version",
            "receiving_agency",
            "current_agency",
            "returning_agency",
            "assignee",
        )
        .prefetch_related(
            Prefetch(
                "attachments",
                queryset=Attachment.objects.select_related("dossier").order_by("id"),
            )
        )
    )


def _plain_data(data) -> dict:
    """``request.data`` (JSON dict or multipart QueryDict) as a plain dict without files."""
    if hasattr(data, "getlist"):
        result = {}
        for key in data:
            values = data.getlist(key)
            result[key] = values if key in LIST_FIELDS or len(values) > 1 else values[0]
    else:
        result = dict(data) if isinstance(data, dict) else {}
    return {k: v for k, v in result.items() if k not in RESERVED_KEYS and not hasattr(v, "read")}


def _document_files(request) -> dict[str, list]:
    files: dict[str, list] = {}
    unexpected = []
    for key in request.FILES:
        if key.startswith("doc_") and len(key) > 4:
            files[key[4:]] = request.FILES.getlist(key)
        elif key not in ACTION_FILE_FIELDS:
            unexpected.append(key)
    if unexpected:
        raise DRFValidationError(
            {key: [_("Tên trường tệp phải có dạng doc_<mã giấy tờ>.")] for key in unexpected}
        )
    return files


class DossierViewSet(
    DomainErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Dossiers the caller may see; filing with POST (citizen online, desk staff walk-in)."""

    permission_classes = [IsAuthenticated]
    # Filings are multipart: its parser first (DRF parses the media type of each one it tries).
    parser_classes = [MultipartFormParser, JSONParser, FormParser]
    filterset_class = DossierFilter
    lookup_field = "code"
    lookup_value_regex = CODE_REGEX

    def get_queryset(self):
        if self.action == "list":
            return (
                Dossier.objects.visible_to(self.request.user)
                .select_related(
                    "procedure",
                    "procedure_version",
                    "receiving_agency",
                    "current_agency",
                    "returning_agency",
                    "assignee",
                )
                .order_by("-submitted_at", "-id")
            )
        return _detail_queryset(self.request.user)

    def get_serializer_class(self):
        return DossierSerializer if self.action == "list" else DossierDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(request={"multipart/form-data": FilingRequestSerializer})
    def create(self, request, *args, **kwargs):
        data = _plain_data(request.data)
        files = _document_files(request)
        user = request.user
        channel = data.pop("channel", None) or default_channel_for(user)
        if channel not in FilingChannel.values:
            raise DRFValidationError({"channel": [_("Hình thức nộp không hợp lệ.")]})
        key = request.headers.get("Idempotency-Key") or data.pop("submission_key", None)
        if key is not None and (len(str(key)) > 100 or "\x00" in str(key)):
            raise DRFValidationError({"submission_key": [_("Mã chống gửi trùng không hợp lệ.")]})
        dossier = file_dossier(
            procedure_code=str(data.pop("procedure", "") or ""),
            applicant_user=user if channel == FilingChannel.ONLINE else None,
            data=data,
            files=files,
            channel=channel,
            actor=user,
            submission_key=key,
        )
        if not getattr(dossier, "filed_now", False):
            # A repeated submission key: the dossier filed the first time, read back in full.
            dossier = _detail_queryset(user).get(pk=dossier.pk)
        # The serializer's answer, built without its per-request field construction.
        body = dossier_detail_payload(dossier, request, timezone.now())
        return Response(body, status=status.HTTP_201_CREATED)


class DossierActionView(DomainErrorsMixin, APIView):
    """``POST /api/v1/dossiers/<code>/actions/<action>/``: one lifecycle transition."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=ActionRequestSerializer, responses={200: DossierDetailSerializer})
    def post(self, request, code: str, action: str):
        payload = _plain_data(request.data)
        if request.FILES:
            payload["files"] = _document_files(request)
            for name in ACTION_FILE_FIELDS:
                if name in request.FILES:
                    payload[name] = request.FILES[name]
        dossier = transition(code, action, request.user, **payload)
        dossier = _detail_queryset(request.user).get(pk=dossier.pk)
        context = {"request": request, "now": timezone.now()}
        return Response(DossierDetailSerializer(dossier, context=context).data)


class DossierHistoryView(DomainErrorsMixin, APIView):
    """``GET /api/v1/dossiers/<code>/history/``: the process-control log (Mẫu 05)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: EventSerializer(many=True)})
    def get(self, request, code: str):
        dossier = find_visible(code, request.user)
        events = (
            DossierEvent.objects.filter(dossier=dossier)
            .select_related("from_agency", "to_agency", "assignee")
            .order_by("at", "id")
        )
        return Response(EventSerializer(events, many=True).data)


class DossierAttachmentView(DomainErrorsMixin, APIView):
    """Download one file of a dossier the caller may see."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, code: str, pk: int):
        dossier = find_visible(code, request.user)
        attachment = Attachment.objects.filter(dossier=dossier, pk=pk).first()
        if attachment is None:
            raise NotFound(_("Không tìm thấy tệp."))
        response = FileResponse(
            open_attachment(attachment),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        return response


_DATETIME = serializers.DateTimeField()


def _when(value):
    return _DATETIME.to_representation(value) if value is not None else None


def track_payload(result: dict) -> dict:
    """What ``TrackSerializer`` gives for ``result``, built directly (the hot public lookup;
    a test keeps the two equal)."""
    return {
        "code": result["code"],
        "status": result["status"],
        "status_label": result["status_label"],
        "procedure": result["procedure"],
        "procedure_name": result["procedure_name"],
        "received_at": _when(result["received_at"]),
        "due_at": _when(result["due_at"]),
        "returned_at": _when(result["returned_at"]),
        "steps": [
            {
                "at": _when(step.at),
                "step": step.step,
                "status": step.status,
                "status_label": step.status_label,
                "agency": step.agency,
            }
            for step in result["steps"]
        ],
    }


class TrackThrottle(BaseThrottle):
    """The per-address lookup budget shared with the page (``tracking.over_limit``: one Redis
    INCR per request, not DRF's list of timestamps). REMOTE_ADDR only: X-Forwarded-For comes
    from the client unless a trusted proxy rewrites REMOTE_ADDR."""

    def allow_request(self, request, view) -> bool:
        code = request.query_params.get("code")
        limited, self.retry_after, request.track_cached = count_lookup(
            request.META.get("REMOTE_ADDR", ""),
            code if code and len(code) <= 64 and "\x00" not in code else None,
        )
        return not limited

    def wait(self) -> float | None:
        return getattr(self, "retry_after", None)


class TrackView(DomainErrorsMixin, APIView):
    """``GET /api/v1/track/?code=&phone=``: public status of one dossier."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [TrackThrottle]

    @extend_schema(
        parameters=[
            OpenApiParameter("code", str, required=True),
            OpenApiParameter("phone", str, required=True),
        ],
        responses={200: TrackSerializer},
    )
    def get(self, request):
        query = TrackQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = track(
            query.validated_data["code"],
            query.validated_data["phone"],
            cached=getattr(request, "track_cached", None),
        )
        return Response(track_payload(result))
