"""Serializers of the postal API: shipments with their history, the desk's shipment request,
and the webhook's documented body (for the OpenAPI schema)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from postal.models import CARRIER_STATUSES, Direction, Shipment, ShipmentEvent


class ShipmentEventSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(read_only=True)

    class Meta:
        model = ShipmentEvent
        fields = ["status", "status_label", "occurred_at", "note", "applied"]


class ShipmentSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="order_number", read_only=True)
    direction_label = serializers.CharField(source="get_direction_display", read_only=True)
    status_label = serializers.CharField(read_only=True)
    sender_address = serializers.CharField(read_only=True)
    receiver_address = serializers.CharField(read_only=True)
    events = ShipmentEventSerializer(many=True, read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "dossier",
            "direction",
            "direction_label",
            "carrier",
            "waybill",
            "order_number",
            "status",
            "status_label",
            "sender_name",
            "sender_address",
            "receiver_name",
            "receiver_address",
            "postage_vnd",
            "fees_vnd",
            "collect_vnd",
            "failure_reason",
            "handover_date",
            "delivered_at",
            "created_at",
            "events",
        ]


class ShipmentQuerySerializer(serializers.Serializer):
    dossier = serializers.CharField(required=False, max_length=64, allow_blank=False)


class ShipmentRequestSerializer(serializers.Serializer):
    dossier = serializers.CharField(max_length=64, help_text=_("Mã hồ sơ"))
    direction = serializers.ChoiceField(choices=Direction.choices)
    commune = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text=_("Mã xã/phường của công dân")
    )
    street = serializers.CharField(max_length=500, required=False, allow_blank=True)
    collect_fees = serializers.BooleanField(required=False, allow_null=True, default=None)


class WebhookEventSerializer(serializers.Serializer):
    """The body a carrier posts (documentation only: the view parses the raw body itself)."""

    event_id = serializers.CharField(max_length=100)
    waybill = serializers.CharField(max_length=40)
    status = serializers.ChoiceField(choices=sorted(CARRIER_STATUSES))
    occurred_at = serializers.DateTimeField()
    note = serializers.CharField(max_length=500, required=False)


class WebhookAnswerSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["applied", "ignored", "duplicate"])
    event_id = serializers.CharField()
    status = serializers.CharField(required=False)
