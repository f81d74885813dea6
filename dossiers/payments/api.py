"""REST API of online payments (``/api/v1/``), a thin layer on ``services``:

* ``GET /api/v1/dossiers/<code>/payments/`` (owner or staff in scope): the dossier's payments,
  newest first, with their receipts.
* ``POST /api/v1/dossiers/<code>/payments/`` (the owner): start paying what is due → 201 with
  ``reference`` and ``redirect_url`` (409 when nothing is due, 503 when the gateway fails).
* ``GET /api/v1/payments/<reference>/`` (owner or staff in scope): one payment.
* ``POST /api/v1/payments/webhook/<gateway>/`` (the gateway): a signed notification
  (``webhooks``).
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dossiers.api.views import DomainErrorsMixin
from dossiers.errors import NotFound
from dossiers.models_payments import PaymentTransaction
from dossiers.payments import services, webhooks
from dossiers.workflow import find_visible


class ReceiptSerializer(serializers.Serializer):
    number = serializers.CharField()
    url = serializers.CharField()


class PaymentSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    purpose_label = serializers.CharField(source="get_purpose_display", read_only=True)
    receipt = serializers.SerializerMethodField()

    class Meta:
        model = PaymentTransaction
        fields = [
            "reference",
            "dossier",
            "gateway",
            "purpose",
            "purpose_label",
            "amount_vnd",
            "fee_items",
            "description",
            "status",
            "status_label",
            "status_message",
            "payer_name",
            "created_at",
            "paid_at",
            "receipt",
        ]
        read_only_fields = fields

    @extend_schema_field(ReceiptSerializer(allow_null=True))
    def get_receipt(self, obj: PaymentTransaction) -> dict | None:
        receipt = getattr(obj, "receipt", None) if obj.status == "succeeded" else None
        if receipt is None:
            return None
        path = reverse("payments:receipt", args=[obj.dossier.code, obj.reference])
        request = self.context.get("request")
        url = request.build_absolute_uri(path) if request is not None else path
        return {"number": receipt.number, "url": url}


StartedSerializer = inline_serializer(
    "PaymentStarted",
    {
        "reference": serializers.CharField(),
        "status": serializers.CharField(),
        "amount_vnd": serializers.IntegerField(),
        "redirect_url": serializers.CharField(),
    },
)


def _queryset():
    return PaymentTransaction.objects.select_related("dossier", "receipt").order_by(
        "-created_at", "-id"
    )


class DossierPaymentsView(DomainErrorsMixin, generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PaymentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return PaymentTransaction.objects.none()
        dossier = find_visible(self.kwargs["code"], self.request.user)
        return _queryset().filter(dossier=dossier)

    @extend_schema(
        request=None,
        responses={
            201: StartedSerializer,
            403: OpenApiResponse(description="not the owner of the dossier"),
            404: OpenApiResponse(description="unknown dossier or not visible"),
            409: OpenApiResponse(description="nothing is due"),
            503: OpenApiResponse(description="the gateway did not answer"),
        },
    )
    def post(self, request, code: str):
        started = services.start_payment(code, request.user)
        redirect_url = started.redirect_url
        if redirect_url.startswith("/"):
            redirect_url = request.build_absolute_uri(redirect_url)
        return Response(
            {
                "reference": started.payment.reference,
                "status": started.payment.status,
                "amount_vnd": started.payment.amount_vnd,
                "redirect_url": redirect_url,
            },
            status=status.HTTP_201_CREATED,
        )


class PaymentDetailView(DomainErrorsMixin, generics.RetrieveAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PaymentSerializer
    lookup_field = "reference"

    def get_object(self):
        reference = self.kwargs["reference"]
        if not services.valid_reference(reference):
            raise NotFound()
        payment = _queryset().visible_to(self.request.user).filter(reference=reference).first()
        if payment is None:
            raise NotFound(services.UnknownTransaction.default_message)
        return payment


class PaymentWebhookView(APIView):
    """A gateway's signed notification (see dossiers/payments/webhooks.py for every answer)."""

    permission_classes = [AllowAny]
    # The gateway authenticates by its signature only: no session, no CSRF, no token.
    authentication_classes: list = []

    @extend_schema(
        request={"application/json": {"type": "object"}},
        responses={
            200: inline_serializer(
                "PaymentWebhookAnswer",
                {
                    "result": serializers.CharField(),
                    "reference": serializers.CharField(),
                    "status": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(description="signed, but malformed"),
            401: OpenApiResponse(description="missing or bad signature, stale timestamp"),
            404: OpenApiResponse(description="unknown gateway or transaction"),
            409: OpenApiResponse(description="amount differs from the transaction"),
            413: OpenApiResponse(description="body too large"),
        },
    )
    def post(self, request, gateway: str):
        length = request.META.get("CONTENT_LENGTH") or "0"
        declared = int(length) if length.isdigit() else 0
        if declared > webhooks.max_bytes():  # refused before the body is read
            answer = webhooks.too_large()
        else:
            answer = webhooks.handle(
                gateway, request.body, request.headers, remote=request.META.get("REMOTE_ADDR", "")
            )
        return Response(answer.body, status=answer.status)
