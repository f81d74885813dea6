"""Satisfaction rating (Quyết định 766 five-point scale) of a returned dossier by its owner,
once per dossier."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from dossiers.errors import InvalidState, NotAllowed, ValidationError
from dossiers.inputs import Cleaner
from dossiers.models import Rating, RatingScore, Status
from dossiers.workflow import find_visible


def can_rate(dossier, user) -> bool:
    return (
        dossier.status == Status.RETURNED
        and dossier.applicant_id is not None
        and dossier.applicant_id == getattr(user, "pk", None)
        and not Rating.objects.filter(dossier=dossier).exists()
    )


def rate_dossier(dossier_ref, actor, *, score, comment: str = "") -> Rating:
    """Record the owner's rating; 404 for others' dossiers, 403 for staff, 409 when the dossier
    is not returned yet or already rated, 400 for a score outside 1–5."""
    with transaction.atomic():
        dossier = find_visible(dossier_ref, actor, lock=True)
        if dossier.applicant_id is None or dossier.applicant_id != actor.pk:
            raise NotAllowed(_("Chỉ người nộp hồ sơ mới được đánh giá."))
        if dossier.status != Status.RETURNED:
            raise InvalidState(_("Chỉ đánh giá được sau khi đã nhận kết quả."))
        cleaner = Cleaner({"score": score, "comment": comment})
        value = cleaner.integer("score", required=True, minimum=1)
        text = cleaner.text("comment", max_length=2000)
        if value and value not in RatingScore.values:
            cleaner.add("score", _("Chọn mức từ 1 đến 5."))
        cleaner.raise_if_errors()
        try:
            with transaction.atomic():
                return Rating.objects.create(
                    dossier=dossier, score=value, comment=text, created_by=actor
                )
        except IntegrityError as exc:
            raise InvalidState(_("Hồ sơ này đã được đánh giá.")) from exc


__all__ = ["ValidationError", "can_rate", "rate_dossier"]
