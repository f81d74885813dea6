"""The administrator's side: a stuck dossier's alert, retried from the admin action."""

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory

from dossiers import admin_routing
from dossiers.models import Dossier
from dossiers.models_routing import Handover, RoutingAlert
from dossiers.routing_tasks import sweep_outbox
from tests.factories import UserFactory
from tests.routing.factories import Province

pytestmark = pytest.mark.django_db


def admin_request(user):
    request = RequestFactory().post("/admin/dossiers/routingalert/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_the_retry_action_moves_stuck_dossiers_and_reports_each(
    settings, django_capture_on_commit_callbacks
):
    settings.ROUTING_MAX_SENDS = 0  # the first sweep gives up at once
    p = Province()
    with django_capture_on_commit_callbacks(execute=False):  # broker "lost" both messages
        sent = p.walk_in()
        blocked = p.walk_in()
    sweep_outbox.apply(kwargs={"older_than_minutes": 0})
    assert RoutingAlert.objects.filter(resolved_at__isnull=True).count() == 2
    p.department.is_active = False  # ... and one target is gone meanwhile
    p.department.save()
    Handover.objects.filter(dossier=sent, state="failed").update(to_agency=p.other_department)
    model_admin = admin_routing.RoutingAlertAdmin(RoutingAlert, admin.site)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    request = admin_request(superuser)
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.retry(request, RoutingAlert.objects.all())
    texts = [str(m) for m in get_messages(request)]
    assert any(sent.code in t and p.other_department.name in t for t in texts)
    assert any(blocked.code in t and "ngừng hoạt động" in t for t in texts)
    assert Dossier.objects.get(pk=sent.pk).current_agency == p.other_department
    assert Dossier.objects.get(pk=blocked.pk).current_agency == p.commune
    assert list(
        RoutingAlert.objects.filter(resolved_at__isnull=True).values_list("dossier", flat=True)
    ) == [blocked.pk]
    assert "retry" in model_admin.get_actions(admin_request(superuser))
    clerk = UserFactory(is_staff=True)
    assert "retry" not in model_admin.get_actions(admin_request(clerk))


def test_routing_rows_are_read_only_in_the_admin():
    superuser = UserFactory(is_superuser=True, is_staff=True)
    for model_admin in (
        admin_routing.HandoverAdmin(Handover, admin.site),
        admin_routing.RoutingAlertAdmin(RoutingAlert, admin.site),
    ):
        request = admin_request(superuser)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
