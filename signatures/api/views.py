from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from signatures.api.serializers import (
    VerificationReportSerializer,
    VerifyErrorSerializer,
    VerifyRequestSerializer,
)
from signatures.errors import VerificationRefused
from signatures.uploads import read_pdf_upload, refuse_oversized_request
from signatures.verification import verify_pdf


class VerifyPdfView(APIView):
    """Verify every digital signature of an uploaded PDF (anyone, no login, throttled)."""

    permission_classes = [AllowAny]
    # Anonymous by design: no session, so no CSRF check gets in a script's way.
    authentication_classes: list = []
    parser_classes = [MultiPartParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "verify"

    @extend_schema(
        request={"multipart/form-data": VerifyRequestSerializer},
        responses={
            200: VerificationReportSerializer,
            400: OpenApiResponse(VerifyErrorSerializer, description="not a readable PDF"),
            413: OpenApiResponse(VerifyErrorSerializer, description="file too large"),
        },
    )
    def post(self, request):
        try:
            # Before request.data: a too large body is refused without being read.
            refuse_oversized_request(request.META)
            serializer = VerifyRequestSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            report = verify_pdf(read_pdf_upload(serializer.validated_data["file"]))
        except VerificationRefused as exc:
            return Response({"detail": exc.message, "code": exc.code}, status=exc.status_code)
        return Response(VerificationReportSerializer(report).data)
