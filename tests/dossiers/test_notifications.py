"""Notifications to the applicant: rows per event and channel, sent on commit by Celery,
retried, never twice; SMS adapters' contract."""

import pytest
from django.core import mail

from dossiers import notifications
from dossiers.models import Notification, NotificationStatus
from dossiers.sms import REGISTRY, SandboxSmsBackend, SmsError, get_sms_backend
from dossiers.tasks import send_notification, send_pending_notifications
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online

pytestmark = pytest.mark.django_db


def test_intake_notifies_by_email_and_sms_on_commit(catalog, django_capture_on_commit_callbacks):
    dossier = file_online(catalog)
    assert not Notification.objects.exists()  # submission itself is not announced
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "receive", catalog.desk)
    rows = Notification.objects.order_by("channel")
    assert [(n.channel, n.status, n.attempts) for n in rows] == [
        ("email", "sent", 1),
        ("sms", "sent", 1),
    ]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["hoa@example.vn"]
    assert message.subject == f"Hồ sơ {dossier.code} đã được tiếp nhận"
    assert "Ngày hẹn trả kết quả" in message.body
    assert SandboxSmsBackend.outbox[0]["to"] == "+84912345678"
    assert dossier.code in SandboxSmsBackend.outbox[0]["text"]


def test_nothing_is_sent_when_the_transaction_rolls_back(catalog):
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)  # on_commit never fires in this test
    assert Notification.objects.filter(status="pending").count() == 2
    assert mail.outbox == [] and SandboxSmsBackend.outbox == []


@pytest.mark.parametrize(
    ("action", "payload", "subject"),
    [
        ("request-supplement", {"reason": "Thiếu", "documents": ["CCCD"]}, "cần bổ sung"),
        ("request-payment", {"reason": "Lệ phí", "amount": 50000}, "nộp phí"),
        ("suspend", {"reason": "x"}, None),
    ],
)
def test_messages_per_action(catalog, processing, action, payload, subject):
    user = catalog.leader if action == "suspend" else catalog.specialist
    transition(processing.code, action, user, **payload)
    rows = Notification.objects.filter(event__action=action)
    if subject is None:
        assert not rows.exists()
    else:
        assert subject in rows.get(channel="email").subject
    if action == "request-payment":
        assert "50.000 đồng" in rows.get(channel="sms").body


def test_result_ready_return_and_apology_are_notified(catalog, clock, processing):
    from tests.dossiers.factories import pdf

    clock.set(2025, 3, 6, 9, 0)
    transition(
        processing.code, "apologize", catalog.leader, reason="Chậm", new_due_date="2025-03-11"
    )
    transition(processing.code, "complete", catalog.leader, result_summary="x", result_file=pdf())
    transition(processing.code, "return", catalog.desk, method="desk")
    actions = set(Notification.objects.values_list("event__action", flat=True))
    assert {"receive", "apologize", "complete", "return"} <= actions
    apology = Notification.objects.get(event__action="apologize", channel="email")
    assert "11/03/2025" in apology.body


def test_delivery_is_once_even_when_redelivered(catalog, processing):
    email = Notification.objects.get(event__action="receive", channel="email")
    assert send_notification.delay(email.pk).get() == "sent"
    assert send_notification.delay(email.pk).get() == "sent"
    email.refresh_from_db()
    assert email.attempts == 1
    assert len(mail.outbox) == 1


def test_failures_are_recorded_retried_then_marked_failed(catalog, processing, settings):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    sms = Notification.objects.get(event__action="receive", channel="sms")
    SandboxSmsBackend.failing_numbers.add("+84912345678")
    assert notifications.deliver(sms.pk) == "pending"
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("pending", 1)
    assert "unavailable" in sms.last_error
    assert notifications.deliver(sms.pk) == "pending"
    assert notifications.deliver(sms.pk) == "failed"
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("failed", 3)
    assert notifications.deliver(sms.pk) == "failed"  # final: not retried again


def test_sweep_resends_pending_messages(catalog, processing, settings):
    assert Notification.objects.filter(status="pending").count() == 2
    assert send_pending_notifications.delay(older_than_minutes=0).get() == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_no_email_address_means_sms_only(catalog):
    catalog.citizen.email = ""  # else the account's address fills the blank field
    catalog.citizen.save()
    dossier = file_online(catalog, applicant_email="")
    transition(dossier.code, "receive", catalog.desk)
    assert list(Notification.objects.values_list("channel", flat=True)) == ["sms"]


def test_invalid_phone_fails_permanently(catalog):
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)
    sms = Notification.objects.get(channel="sms")
    Notification.objects.filter(pk=sms.pk).update(recipient="12")
    assert notifications.deliver(sms.pk) == NotificationStatus.FAILED


# --- contract tests: every registered SMS adapter -------------------------------------------


@pytest.fixture(params=sorted(REGISTRY))
def backend(request, settings):
    settings.SMS_BACKEND = request.param
    return get_sms_backend()


class TestSmsAdapterContract:
    def test_sends_vietnamese_text_and_returns_an_id(self, backend):
        message_id = backend.send("0912345678", "Hồ sơ đã được tiếp nhận — ngày hẹn 06/03/2025")
        assert isinstance(message_id, str) and message_id

    def test_accepts_international_format(self, backend):
        assert backend.send("+84912345678", "ok")

    @pytest.mark.parametrize("phone", ["", "12", "abc", "+1 555 0100"])
    def test_refuses_invalid_numbers_permanently(self, backend, phone):
        with pytest.raises(SmsError) as error:
            backend.send(phone, "x")
        assert error.value.permanent

    def test_refuses_empty_text(self, backend):
        with pytest.raises(SmsError):
            backend.send("0912345678", "   ")

    def test_long_text_is_accepted(self, backend):
        assert backend.send("0912345678", "ư" * 5000)


def test_unknown_backend_setting_fails_loudly(settings):
    settings.SMS_BACKEND = "nope.Backend"
    with pytest.raises(ImportError):
        get_sms_backend()
