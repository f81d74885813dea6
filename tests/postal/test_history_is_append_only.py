"""The shipment history cannot be rewritten: the model refuses, and so does PostgreSQL."""

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from postal.models import AppendOnlyError, ShipmentEvent
from tests.postal.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


def test_events_cannot_be_changed_or_deleted():
    event = ShipmentFactory().events.create(
        event_id="e-1", status="accepted", occurred_at=timezone.now(), source="webhook"
    )
    event.note = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    for attempt in (
        lambda: ShipmentEvent.objects.filter(pk=event.pk).update(note="rewritten"),
        lambda: ShipmentEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert ShipmentEvent.objects.get(pk=event.pk).note == ""
