"""Domain errors of the dossier services, each mapped to one HTTP status by the web layers.

Field errors use Django's ``ValidationError`` with a dict (field → messages), so forms show
them next to their fields and the API answers 400 with the same dict.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "DossierError",
    "InvalidState",
    "NotAllowed",
    "NotFound",
    "TooLarge",
    "ValidationError",
]


class DossierError(Exception):
    """Base of the domain errors; ``status_code`` is the HTTP answer."""

    status_code = 400
    default_message = _("Yêu cầu không hợp lệ.")

    def __init__(self, message: str | None = None):
        self.message = str(message if message is not None else self.default_message)
        super().__init__(self.message)


class NotAllowed(DossierError):
    """The user may see the dossier but may not take this action (403)."""

    status_code = 403
    default_message = _("Bạn không có quyền thực hiện thao tác này.")


class NotFound(DossierError):
    """Unknown dossier, or one the user may not see: the two are indistinguishable (404)."""

    status_code = 404
    default_message = _("Không tìm thấy hồ sơ.")


NotVisible = NotFound


class InvalidState(DossierError):
    """The dossier's status does not allow the action (409)."""

    status_code = 409
    default_message = _("Trạng thái hiện tại của hồ sơ không cho phép thao tác này.")


class TooLarge(DossierError):
    """A file or the dossier's files together exceed the size limits (413)."""

    status_code = 413
    default_message = _("Tệp đính kèm vượt quá dung lượng cho phép.")
