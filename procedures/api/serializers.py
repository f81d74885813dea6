from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from procedures.models import Channel, ProcedureVersion, RequiredDocument, Sector


class CodeNameSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SectorSerializer(serializers.ModelSerializer):
    procedure_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Sector
        fields = ["code", "name", "procedure_count"]


class ChannelSerializer(serializers.ModelSerializer):
    processing_time = serializers.DecimalField(
        max_digits=6, decimal_places=1, coerce_to_string=False
    )

    class Meta:
        model = Channel
        fields = ["kind", "processing_time", "time_unit", "fee_vnd", "fee_description"]


class DocumentSerializer(serializers.ModelSerializer):
    form_url = serializers.SerializerMethodField()

    class Meta:
        model = RequiredDocument
        fields = [
            "code",
            "name",
            "required",
            "case",
            "originals",
            "certified_copies",
            "photocopies",
            "accepted_types",
            "form_url",
        ]

    def get_form_url(self, document) -> str | None:
        if not document.form_template:
            return None
        path = f"/procedures/{document.version.procedure.code}/forms/{document.code}/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class ProcedureListSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="procedure.code")
    version = serializers.IntegerField(source="number")
    sectors = CodeNameSerializer(many=True)
    implementing_agency = CodeNameSerializer()
    service_level_name = serializers.CharField(source="get_service_level_display")
    online_scope = serializers.CharField()
    accepts_online_filing = serializers.BooleanField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProcedureVersion
        fields = [
            "code",
            "local_code",
            "name",
            "version",
            "gov_level",
            "service_level",
            "service_level_name",
            "online_scope",
            "sectors",
            "implementing_agency",
            "accepts_online_filing",
            "postal_eligible",
            "online_payment",
            "result_must_be_signed",
            "published_at",
            "url",
        ]

    def get_url(self, version) -> str:
        request = self.context.get("request")
        path = f"/api/v1/procedures/{version.procedure.code}/"
        return request.build_absolute_uri(path) if request else path


class ProcedureDetailSerializer(ProcedureListSerializer):
    competent_agency = CodeNameSerializer(allow_null=True)
    authorised_agency = CodeNameSerializer(allow_null=True)
    coordinating_agencies = CodeNameSerializer(many=True)
    receiving_agencies = CodeNameSerializer(many=True)
    channels = ChannelSerializer(many=True)
    documents = DocumentSerializer(many=True)
    legal_basis = serializers.JSONField()
    result_template_url = serializers.SerializerMethodField()

    class Meta(ProcedureListSerializer.Meta):
        fields = [
            *ProcedureListSerializer.Meta.fields,
            "competent_agency",
            "authorised_agency",
            "coordinating_agencies",
            "receiving_agencies",
            "steps",
            "applicants",
            "conditions",
            "result_name",
            "result_template_url",
            "legal_basis",
            "publishing_decision",
            "keywords",
            "related_codes",
            "channels",
            "documents",
        ]

    def get_result_template_url(self, version) -> str | None:
        if not version.result_template:
            return None
        path = f"/procedures/{version.procedure.code}/result-template/"
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class DueDateQuerySerializer(serializers.Serializer):
    start = serializers.DateTimeField(
        required=False,
        help_text=_("Thời điểm tiếp nhận (ISO 8601); mặc định: bây giờ."),
    )


class DueDateSerializer(serializers.Serializer):
    code = serializers.CharField()
    start = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    channel = serializers.CharField()
    processing_time = serializers.DecimalField(
        max_digits=6, decimal_places=1, coerce_to_string=False
    )
    time_unit = serializers.CharField()
