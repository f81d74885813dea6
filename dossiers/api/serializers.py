"""Thin serializers: output shapes of interfaces.md and input declarations for the schema.
Validation of filing and actions lives in the services (filing.py, workflow.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import PKOnlyObject

from dossiers import deadlines
from dossiers.links import links_for
from dossiers.models import (
    Attachment,
    AttachmentKind,
    Dossier,
    DossierEvent,
    FilingChannel,
    ResultDelivery,
    Status,
)
from dossiers.workflow import allowed_actions
from portal.paths import path_for


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class DossierSerializer(serializers.ModelSerializer):
    """A dossier in lists (no per-row queries)."""

    status_label = serializers.SerializerMethodField()
    procedure = serializers.CharField(source="procedure.code")
    procedure_name = serializers.CharField(source="procedure_version.name")
    receiving_agency = serializers.CharField(source="receiving_agency.code")
    current_agency = serializers.CharField(source="current_agency.code")
    returning_agency = serializers.CharField(source="returning_agency.code")
    assignee = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    timeliness = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = [
            "code",
            "status",
            "status_label",
            "procedure",
            "procedure_name",
            "channel",
            "applicant_name",
            "receiving_agency",
            "current_agency",
            "returning_agency",
            "assignee",
            "submitted_at",
            "received_at",
            "intake_due_at",
            "due_at",
            "completed_at",
            "returned_at",
            "result_delivery",
            "pickup_by_post",
            "overdue",
            "timeliness",
            "links",
        ]
        read_only_fields = fields

    def get_status_label(self, obj: Dossier) -> str:
        return obj.status_label

    def get_assignee(self, obj: Dossier) -> str | None:
        return obj.assignee.username if obj.assignee_id else None

    def get_overdue(self, obj: Dossier) -> bool:
        return deadlines.is_overdue(obj, self.context.get("now") or timezone.now())

    def get_timeliness(self, obj: Dossier) -> str | None:
        if obj.status not in (Status.RESULT_READY, Status.RETURNED):
            return None
        return deadlines.timeliness(obj)

    def get_links(self, obj: Dossier) -> dict:
        return dossier_links(obj, self.context.get("request"))


def dossier_links(obj: Dossier, request) -> dict:
    """``links`` of a dossier: the registered providers, ``self`` and the current result."""
    links = links_for(obj, request)
    links["self"] = _absolute(request, path_for("api-dossier-detail", obj.code))
    result = _result_attachment(obj)
    if result is not None and links.get("result") is None:
        links["result"] = _absolute(
            request, path_for("api-dossier-attachment", obj.code, result.pk)
        )
    return links


def _result_attachment(obj: Dossier) -> Attachment | None:
    cache = getattr(obj, "_prefetched_objects_cache", {})
    if "attachments" not in cache:
        return None
    results = [
        a
        for a in obj.attachments.all()
        if a.kind == AttachmentKind.RESULT and a.superseded_by_id is None
    ]
    return results[-1] if results else None


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "kind",
            "document_code",
            "document_name",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "created_at",
            "superseded_by",
            "url",
        ]
        read_only_fields = fields

    def get_url(self, obj: Attachment) -> str:
        return _absolute(
            self.context.get("request"),
            path_for("api-dossier-attachment", obj.dossier.code, obj.pk),
        )


class DossierDetailSerializer(DossierSerializer):
    """One dossier with its files and the actions the caller may take now."""

    attachments = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(DossierSerializer.Meta):
        fields = [
            *DossierSerializer.Meta.fields,
            "applicant_phone",
            "applicant_id_number",
            "applicant_address",
            "applicant_email",
            "summary",
            "delivery_address",
            "original_due_at",
            "step_due_at",
            "paused_hours",
            "closed_at",
            "return_method",
            "result_summary",
            "fee_vnd",
            "payment_due_vnd",
            "approval_requested_at",
            "result_signed_at",
            "result_countersigned_at",
            "attachments",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj: Dossier) -> list[dict]:
        """Every file; the applicant does not see the officials' internal drafts."""
        files = visible_files(obj, self.context.get("request"))
        return AttachmentSerializer(files, many=True, context=self.context).data

    def get_actions(self, obj: Dossier) -> list[str]:
        request = self.context.get("request")
        return allowed_actions(obj, request.user) if request is not None else []


class EventSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(read_only=True)
    from_agency = serializers.SerializerMethodField()
    to_agency = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = DossierEvent
        fields = [
            "id",
            "at",
            "action",
            "action_label",
            "from_status",
            "to_status",
            "from_agency",
            "to_agency",
            "actor",
            "assignee",
            "note",
            "payload",
            "attachment_ids",
            "step_due_at",
        ]
        read_only_fields = fields

    def get_from_agency(self, obj: DossierEvent) -> str | None:
        return obj.from_agency.code if obj.from_agency_id else None

    def get_to_agency(self, obj: DossierEvent) -> str | None:
        return obj.to_agency.code if obj.to_agency_id else None

    def get_assignee(self, obj: DossierEvent) -> str | None:
        return obj.assignee.get_full_name() if obj.assignee_id else None


class FilingRequestSerializer(serializers.Serializer):
    """Declares the multipart fields of ``POST /api/v1/dossiers/`` (for the schema); the filing
    service validates them. Add one file field per document: ``doc_<document code>``."""

    procedure = serializers.CharField(max_length=40)
    applicant_name = serializers.CharField(max_length=200, required=False)
    applicant_phone = serializers.CharField(max_length=15, required=False)
    applicant_id_number = serializers.CharField(max_length=12, required=False)
    applicant_address = serializers.CharField(max_length=500, required=False)
    applicant_email = serializers.EmailField(required=False)
    summary = serializers.CharField(required=False)
    receiving_agency = serializers.CharField(max_length=30, required=False)
    result_delivery = serializers.ChoiceField(choices=ResultDelivery.choices, required=False)
    delivery_address = serializers.CharField(max_length=500, required=False)
    pickup_by_post = serializers.BooleanField(required=False)
    channel = serializers.ChoiceField(
        choices=FilingChannel.choices,
        required=False,
        help_text=_("Mặc định: trực tiếp nếu người gọi là cán bộ một cửa, ngược lại trực tuyến."),
    )
    submission_key = serializers.CharField(
        max_length=100,
        required=False,
        help_text=_("Mã chống gửi trùng (hoặc tiêu đề Idempotency-Key)."),
    )


class ActionRequestSerializer(serializers.Serializer):
    """Union of the action bodies of interfaces.md (each action uses some of them)."""

    note = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)
    assignee = serializers.CharField(required=False)
    documents = serializers.ListField(child=serializers.CharField(), required=False)
    amount = serializers.IntegerField(required=False)
    receipt_number = serializers.CharField(required=False)
    new_due_date = serializers.DateField(required=False)
    result_summary = serializers.CharField(required=False)
    result_file = serializers.FileField(required=False)
    draft_file = serializers.FileField(required=False)
    method = serializers.ChoiceField(choices=ResultDelivery.choices, required=False)


class TrackQuerySerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    phone = serializers.CharField(max_length=20)


class TrackStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    step = serializers.CharField()
    status = serializers.IntegerField()
    status_label = serializers.CharField()
    agency = serializers.CharField(allow_null=True)


class TrackSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.IntegerField()
    status_label = serializers.CharField()
    procedure = serializers.CharField()
    procedure_name = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    steps = TrackStepSerializer(many=True)


# --- the filing's 201 answer without the serializer machinery --------------------------------
#
# Building a ModelSerializer's fields (deep copies, model introspection) costs more than the
# rest of the answer. The filing answer uses the fields of ``DossierDetailSerializer`` and
# ``AttachmentSerializer`` built once per process (their ``get_attribute``/``to_representation``
# do not depend on the serializer's context) and the same helpers as their method fields.
# ``tests/dossiers/test_api_filing.py`` keeps the answer equal to the serializer's.

#: Per serializer: (name, field or None for a method field, the model column it reads or None).
_BOUND: dict[str, list[tuple[str, serializers.Field | None, str | None]]] = {}


def _bound_fields(serializer_class: type[serializers.Serializer]):
    key = serializer_class.__name__
    if key not in _BOUND:
        model = serializer_class.Meta.model
        columns = {f.name for f in model._meta.concrete_fields if not f.is_relation}
        _BOUND[key] = [
            (name, None, None)
            if isinstance(field, serializers.SerializerMethodField)
            else (name, field, field.source if field.source in columns else None)
            for name, field in serializer_class().fields.items()
        ]
    return _BOUND[key]


def _represent(field: serializers.Field, instance):
    attribute = field.get_attribute(instance)
    check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
    return None if check is None else field.to_representation(attribute)


def visible_files(dossier: Dossier, request) -> list[Attachment]:
    """Every file of ``dossier``; its applicant does not see the officials' internal drafts."""
    user_id = getattr(getattr(request, "user", None), "pk", None)
    hide_drafts = dossier.applicant_id is not None and dossier.applicant_id == user_id
    return [
        a for a in dossier.attachments.all() if not (hide_drafts and a.kind == AttachmentKind.DRAFT)
    ]


class _Context:
    """Stands for a serializer instance when its ``get_*`` methods are called directly: they
    read ``self.context`` only."""

    def __init__(self, **context) -> None:
        self.context = context


def _represent_all(serializer_class, instance, holder: _Context, overrides: dict) -> dict:
    payload = {}
    for name, field, column in _bound_fields(serializer_class):
        if name in overrides:
            payload[name] = overrides[name]
        elif field is None:  # a SerializerMethodField: the serializer's own method
            payload[name] = getattr(serializer_class, f"get_{name}")(holder, instance)
        elif column is not None:  # a plain column: what ``get_attribute`` would read
            value = getattr(instance, column)
            payload[name] = None if value is None else field.to_representation(value)
        else:
            payload[name] = _represent(field, instance)
    return payload


def dossier_detail_payload(dossier: Dossier, request, now) -> dict:
    """What ``DossierDetailSerializer(dossier, context={"request": request, "now": now}).data``
    gives, for a dossier with its relations and attachments loaded."""
    holder = _Context(request=request, now=now)
    attachments = [
        _represent_all(AttachmentSerializer, attachment, holder, {})
        for attachment in visible_files(dossier, request)
    ]
    return _represent_all(DossierDetailSerializer, dossier, holder, {"attachments": attachments})
