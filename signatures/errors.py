"""Domain errors of the signatures app.

Each error carries a Vietnamese message for the person who caused it and, for the web layer,
the HTTP status that describes it (400 bad file, 409 a state problem, 413 too large, 503 a
provider that is not available). Messages never contain key material or passwords.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class SignatureError(Exception):
    """Base of every error raised by the signatures services."""

    status_code = 400
    default_message = _("Không thể xử lý chữ ký số.")

    def __init__(self, message: str | None = None):
        self.message = str(message or self.default_message)
        super().__init__(self.message)


# --- Certificates ---------------------------------------------------------------------------


class InvalidCertificate(SignatureError):
    default_message = _("Nội dung không phải là chứng thư số X.509 hợp lệ (định dạng PEM).")


class NoSigningCertificate(SignatureError):
    status_code = 409
    default_message = _(
        "Bạn chưa có chứng thư số còn hiệu lực để ký văn bản. "
        "Vui lòng liên hệ quản trị hệ thống để được cấp chứng thư số."
    )


class CertificateNotUsable(SignatureError):
    status_code = 409
    default_message = _("Chứng thư số đã hết hạn, chưa có hiệu lực hoặc đã bị thu hồi.")


# --- Providers ------------------------------------------------------------------------------


class ProviderUnavailable(SignatureError):
    """The signing provider cannot produce a signer (unknown, unconfigured, key missing)."""

    status_code = 503
    default_message = _("Dịch vụ ký số hiện không sẵn sàng.")


class ProviderNotConfigured(ProviderUnavailable):
    default_message = _("Nhà cung cấp dịch vụ ký số chưa được cấu hình.")


class ProviderNotImplemented(ProviderUnavailable):
    default_message = _(
        "Nhà cung cấp dịch vụ ký số này mới chỉ là khung giao diện, chưa được triển khai "
        "(xem docs/signatures.md)."
    )


class SigningKeyUnavailable(ProviderUnavailable):
    default_message = _("Không mở được khóa ký của chứng thư số.")


# --- Documents ------------------------------------------------------------------------------


class InvalidPdf(SignatureError):
    default_message = _("Tệp không phải là tệp PDF hợp lệ.")


class SigningFailed(SignatureError):
    status_code = 502
    default_message = _("Không ký được văn bản, vui lòng thử lại sau.")


# --- Verification (the file a visitor uploaded) ---------------------------------------------


class VerificationRefused(SignatureError):
    """The uploaded file cannot be verified; the message says why."""

    code = "unreadable"


class FileTooLarge(VerificationRefused):
    status_code = 413
    code = "too_large"
    default_message = _("Tệp quá lớn.")


class NotAPdf(VerificationRefused):
    code = "not_pdf"
    default_message = _("Tệp tải lên không phải là tệp PDF.")


class EncryptedPdf(VerificationRefused):
    code = "encrypted"
    default_message = _(
        "Tệp PDF được mã hóa bằng mật khẩu nên không thể kiểm tra chữ ký. "
        "Vui lòng tải lên bản không đặt mật khẩu."
    )


class UnreadablePdf(VerificationRefused):
    code = "unreadable"
    default_message = _(
        "Tệp PDF bị hỏng hoặc không đúng cấu trúc (bảng tham chiếu chéo lỗi, tệp bị cắt cụt…) "
        "nên không thể kiểm tra chữ ký."
    )


class VerificationTimeout(VerificationRefused):
    code = "timeout"
    default_message = _("Tệp PDF quá phức tạp: không kiểm tra xong trong thời gian cho phép.")
