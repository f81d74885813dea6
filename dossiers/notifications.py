"""Messages to the applicant: e-mail (Django mail) and SMS (``dossiers.sms`` adapters).

``create_for_event`` runs inside the transaction that records the event: it writes one
``Notification`` row per channel (unique per event and channel, so nothing is sent twice) and
enqueues ``send_notification`` on commit. ``deliver`` sends one row, at most once successfully;
failures are retried with backoff by the task and by the ``send_pending_notifications`` sweep,
up to ``NOTIFICATION_MAX_ATTEMPTS``, then the row is marked failed with its last error.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dossiers.models import (
    Dossier,
    DossierEvent,
    EventAction,
    Notification,
    NotificationChannel,
    NotificationStatus,
    ResultDelivery,
)
from dossiers.sms import SmsError, get_sms_backend

logger = logging.getLogger(__name__)

#: The events the applicant is told about.
NOTIFIED_ACTIONS = frozenset(
    {
        EventAction.RECEIVE,
        EventAction.REFUSE,
        EventAction.REQUEST_SUPPLEMENT,
        EventAction.REQUEST_PAYMENT,
        EventAction.APOLOGIZE,
        EventAction.COMPLETE,
        EventAction.RETURN,
    }
)


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFICATION_MAX_ATTEMPTS", 5))


def _when(value: datetime.datetime | None) -> str:
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


def _day(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y") if value else "—"


def compose(event: DossierEvent, dossier: Dossier) -> tuple[str, str]:
    """Subject and message (Vietnamese) about ``event``; the SMS is the message alone."""
    payload = event.payload or {}
    values = {
        "code": dossier.code,
        "name": dossier.applicant_name,
        "procedure": dossier.procedure_version.name,
        "agency": dossier.current_agency.name,
        "receiving": dossier.receiving_agency.name,
        "returning": dossier.returning_agency.name,
        "received": _when(dossier.received_at),
        "due": _day(dossier.due_at),
        "reason": payload.get("reason") or event.note or "",
        "documents": "; ".join(payload.get("documents") or []),
        "amount": f"{int(payload.get('amount') or 0):,}".replace(",", "."),
        "returned": _when(dossier.returned_at),
    }
    action = event.action
    if action == EventAction.RECEIVE:
        subject = _("Hồ sơ %(code)s đã được tiếp nhận") % values
        body = (
            _(
                "Hồ sơ %(code)s (%(procedure)s) đã được %(receiving)s tiếp nhận lúc %(received)s. "
                "Ngày hẹn trả kết quả: %(due)s."
            )
            % values
        )
    elif action == EventAction.REFUSE:
        subject = _("Hồ sơ %(code)s không được tiếp nhận") % values
        body = _("Hồ sơ %(code)s không được tiếp nhận. Lý do: %(reason)s") % values
    elif action == EventAction.REQUEST_SUPPLEMENT:
        subject = _("Hồ sơ %(code)s cần bổ sung giấy tờ") % values
        body = (
            _("Hồ sơ %(code)s cần bổ sung, hoàn thiện: %(documents)s. Lý do: %(reason)s") % values
        )
    elif action == EventAction.REQUEST_PAYMENT:
        subject = _("Hồ sơ %(code)s: đề nghị nộp phí, lệ phí") % values
        body = (
            _("Hồ sơ %(code)s: đề nghị ông/bà nộp %(amount)s đồng phí, lệ phí. %(reason)s") % values
        )
    elif action == EventAction.APOLOGIZE:
        subject = _("Xin lỗi về việc chậm trả kết quả hồ sơ %(code)s") % values
        body = (
            _(
                "%(agency)s xin lỗi vì hồ sơ %(code)s chậm trả kết quả. Lý do: %(reason)s. "
                "Ngày hẹn trả kết quả mới: %(due)s."
            )
            % values
        )
    elif action == EventAction.COMPLETE:
        subject = _("Hồ sơ %(code)s đã có kết quả") % values
        if dossier.result_delivery == ResultDelivery.POST:
            body = _("Hồ sơ %(code)s đã có kết quả; kết quả sẽ được gửi qua bưu chính.") % values
        else:
            body = (
                _("Hồ sơ %(code)s đã có kết quả. Mời ông/bà nhận kết quả tại %(returning)s.")
                % values
            )
    elif action == EventAction.RETURN:
        subject = _("Hồ sơ %(code)s đã được trả kết quả") % values
        body = _("Hồ sơ %(code)s đã được trả kết quả lúc %(returned)s.") % values
    else:  # pragma: no cover - only NOTIFIED_ACTIONS reach here
        subject = _("Cập nhật hồ sơ %(code)s") % values
        body = subject
    return subject, body


def email_body(dossier: Dossier, message: str) -> str:
    greeting = _("Kính gửi ông/bà %(name)s,") % {"name": dossier.applicant_name}
    return f"{greeting}\n\n{message}\n\n{settings.SITE_NAME}"


def create_for_event(event: DossierEvent, dossier: Dossier) -> list[Notification]:
    """Write the notifications of ``event`` (in the caller's transaction), sent on commit."""
    if event.action not in NOTIFIED_ACTIONS:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        subject, message = compose(event, dossier)
        body = email_body(dossier, message)
    rows = []
    if dossier.applicant_email:
        rows.append(
            Notification(
                event=event,
                dossier=dossier,
                channel=NotificationChannel.EMAIL,
                recipient=dossier.applicant_email,
                subject=subject[:255],
                body=body,
            )
        )
    if dossier.applicant_phone:
        rows.append(
            Notification(
                event=event,
                dossier=dossier,
                channel=NotificationChannel.SMS,
                recipient=dossier.applicant_phone,
                subject="",
                body=message,
            )
        )
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        Notification.objects.filter(event=event, status=NotificationStatus.PENDING).values_list(
            "pk", flat=True
        )
    )
    if ids:
        transaction.on_commit(lambda: enqueue(ids))
    return created


def enqueue(ids: list[int]) -> None:
    """Queue the sending; a broker outage leaves the rows pending for the sweep."""
    from dossiers.tasks import send_notification

    for notification_id in ids:
        try:
            send_notification.delay(notification_id)
        except Exception:
            logger.warning("could not enqueue notification %s; the sweep will", notification_id)


def _send(notification: Notification) -> None:
    if notification.channel == NotificationChannel.EMAIL:
        EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient],
        ).send(fail_silently=False)
    else:
        get_sms_backend().send(notification.recipient, notification.body)


def deliver(notification_id: int) -> str:
    """Send one notification unless already done. Returns its status afterwards
    (``sent``, ``failed`` or ``pending`` = try again later)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            # Unknown, or another worker is sending it right now.
            return NotificationStatus.SENT
        if notification.status != NotificationStatus.PENDING:
            return notification.status
        notification.attempts += 1
        try:
            _send(notification)
        except Exception as exc:
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            permanent = isinstance(exc, SmsError) and exc.permanent
            if permanent or notification.attempts >= max_attempts():
                notification.status = NotificationStatus.FAILED
                logger.warning(
                    "notification %s failed for good: %s", notification.pk, notification.last_error
                )
        else:
            notification.status = NotificationStatus.SENT
            notification.sent_at = timezone.now()
            notification.last_error = ""
        notification.save(update_fields=["attempts", "status", "last_error", "sent_at"])
        return notification.status


def pending_for_retry(older_than: datetime.timedelta) -> list[int]:
    cutoff = timezone.now() - older_than
    return list(
        Notification.objects.filter(
            status=NotificationStatus.PENDING, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
