from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class VerifyRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text=_("Tệp PDF đã ký số cần kiểm tra."),
    )


class CertificateSummarySerializer(serializers.Serializer):
    subject = serializers.CharField()
    common_name = serializers.CharField()
    issuer = serializers.CharField()
    serial_number = serializers.CharField()
    fingerprint_sha256 = serializers.CharField()
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField()


class SignatureReportSerializer(serializers.Serializer):
    field_name = serializers.CharField()
    signer_name = serializers.CharField()
    verdict = serializers.ChoiceField(
        choices=["valid", "modified", "untrusted", "expired", "invalid"]
    )
    verdict_label = serializers.CharField()
    explanation = serializers.CharField()
    problem = serializers.CharField(allow_null=True)
    problem_text = serializers.CharField()
    signing_time = serializers.DateTimeField(allow_null=True)
    timestamp_time = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()
    location = serializers.CharField()
    intact = serializers.BooleanField()
    cryptographically_valid = serializers.BooleanField()
    trusted = serializers.BooleanField()
    trust_problem = serializers.CharField(allow_null=True)
    coverage = serializers.CharField(allow_null=True)
    covers_whole_document = serializers.BooleanField()
    modification_level = serializers.CharField(allow_null=True)
    modification_text = serializers.CharField()
    changes_allowed = serializers.BooleanField(allow_null=True)
    certificate_valid_at_signing_time = serializers.BooleanField(allow_null=True)
    bottom_line = serializers.BooleanField()
    certificate = CertificateSummarySerializer(allow_null=True)


class VerificationReportSerializer(serializers.Serializer):
    verdict = serializers.ChoiceField(
        choices=["valid", "modified", "untrusted", "expired", "invalid", "unsigned"]
    )
    verdict_label = serializers.CharField()
    explanation = serializers.CharField()
    signature_count = serializers.IntegerField()
    signatures = SignatureReportSerializer(many=True)


class VerifyErrorSerializer(serializers.Serializer):
    # A refusal has ``detail`` and ``code``; a missing or unreadable upload is a field error.
    detail = serializers.CharField(required=False)
    code = serializers.CharField(required=False)
    file = serializers.ListField(child=serializers.CharField(), required=False)
