"""Thin REST layer of the postal app: shipments (list, desk request) and the carrier webhook."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dossiers.errors import DossierError
from postal import signing, webhooks
from postal.api.serializers import (
    ShipmentQuerySerializer,
    ShipmentRequestSerializer,
    ShipmentSerializer,
    WebhookAnswerSerializer,
    WebhookEventSerializer,
)
from postal.models import Shipment, ShipmentEvent
from postal.services import request_shipment_as

ADDRESS_JOINS = ("sender_commune__parent__parent", "receiver_commune__parent__parent")


def shipment_queryset(user):
    return (
        Shipment.objects.visible_to(user)
        .select_related(*ADDRESS_JOINS)
        .prefetch_related(
            Prefetch("events", queryset=ShipmentEvent.objects.order_by("occurred_at", "id"))
        )
        .order_by("created_at", "id")
    )


class ShipmentListView(generics.ListAPIView):
    """Shipments of the dossiers the caller may see; ``?dossier=<code>`` narrows to one dossier
    (an unknown or hidden code gives an empty list). POST: the desk asks for a shipment."""

    permission_classes = [IsAuthenticated]
    serializer_class = ShipmentSerializer
    filter_backends: list = []

    def get_queryset(self):
        query = ShipmentQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        queryset = shipment_queryset(self.request.user)
        code = query.validated_data.get("dossier")
        if code:
            queryset = queryset.filter(dossier__code=code.strip())
        return queryset

    @extend_schema(parameters=[OpenApiParameter("dossier", str, description="mã hồ sơ")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=ShipmentRequestSerializer, responses={201: ShipmentSerializer})
    def post(self, request):
        serializer = ShipmentRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            shipment = request_shipment_as(
                request.user,
                data["dossier"],
                data["direction"],
                commune_code=data.get("commune") or None,
                street=data.get("street") or None,
                collect_fees=data.get("collect_fees"),
            )
        except DossierError as exc:
            return Response({"detail": exc.message}, status=exc.status_code)
        shipment = shipment_queryset(request.user).get(pk=shipment.pk)
        return Response(ShipmentSerializer(shipment).data, status=status.HTTP_201_CREATED)


class PostalEventView(APIView):
    """The carrier's signed status reports (see postal/webhooks.py for every answer)."""

    permission_classes = [AllowAny]
    # The carrier authenticates by the HMAC signature only: no session, no CSRF, no token.
    authentication_classes: list = []

    @extend_schema(
        request=WebhookEventSerializer,
        parameters=[
            OpenApiParameter(signing.TIMESTAMP_HEADER, str, OpenApiParameter.HEADER, True),
            OpenApiParameter(signing.SIGNATURE_HEADER, str, OpenApiParameter.HEADER, True),
        ],
        responses={
            200: WebhookAnswerSerializer,
            400: OpenApiResponse(description="malformed body (field errors)"),
            401: OpenApiResponse(description="missing or bad signature, stale timestamp"),
            404: OpenApiResponse(description="unknown waybill"),
            413: OpenApiResponse(description="body too large"),
        },
    )
    def post(self, request):
        length = request.META.get("CONTENT_LENGTH") or "0"
        declared = int(length) if length.isdigit() else 0
        if declared > webhooks.max_bytes():  # refused before the body is read
            answer = webhooks.too_large()
        else:
            answer = webhooks.handle(
                request.body,
                request.headers,
                remote=request.META.get("REMOTE_ADDR", ""),
                length=declared,
            )
        return Response(answer.body, status=answer.status)
