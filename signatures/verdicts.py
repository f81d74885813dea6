"""What the verdicts mean, in plain Vietnamese (translated to English by the catalogs)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from signatures.pdfcheck import EXPIRED, INVALID, MODIFIED, UNSIGNED, UNTRUSTED, VALID

LABELS = {
    VALID: _("Hợp lệ"),
    MODIFIED: _("Đã bị sửa đổi sau khi ký"),
    UNTRUSTED: _("Người ký không được tin cậy"),
    EXPIRED: _("Chứng thư hết hạn"),
    INVALID: _("Chữ ký không hợp lệ"),
    UNSIGNED: _("Không có chữ ký số"),
}

EXPLANATIONS = {
    VALID: _(
        "Văn bản không bị thay đổi sau khi ký và chứng thư số của người ký do tổ chức chứng "
        "thực được tin cậy cấp, còn hiệu lực tại thời điểm ký."
    ),
    MODIFIED: _("Nội dung văn bản đã bị thay đổi sau khi ký: không nên tin vào văn bản này."),
    UNTRUSTED: _(
        "Chữ ký nguyên vẹn nhưng chứng thư số của người ký không do tổ chức chứng thực "
        "được tin cậy cấp."
    ),
    EXPIRED: _("Chứng thư số của người ký đã hết hạn (hoặc chưa có hiệu lực) tại thời điểm ký."),
    INVALID: _("Chữ ký bị lỗi hoặc không thể kiểm tra."),
    UNSIGNED: _("Tệp PDF không chứa chữ ký số nào."),
}

OVERALL = {
    VALID: _("Tất cả chữ ký số trong văn bản đều hợp lệ."),
    MODIFIED: _("Văn bản đã bị sửa đổi sau khi ký."),
    UNTRUSTED: _("Có chữ ký của người ký không được tin cậy."),
    EXPIRED: _("Có chữ ký dùng chứng thư số đã hết hạn."),
    INVALID: _("Có chữ ký không hợp lệ."),
    UNSIGNED: _("Tệp PDF không chứa chữ ký số nào."),
}

PROBLEMS = {
    "byte_range_outside_file": _("Vùng dữ liệu được ký (/ByteRange) nằm ngoài tệp."),
    "changed_after_signing": _(
        "Sau khi ký, tệp đã được bổ sung nội dung không chỉ là chữ ký hoặc điền biểu mẫu."
    ),
    "revoked": _("Chứng thư số đã bị thu hồi."),
    "timestamp_untrusted": _("Dấu thời gian không do đơn vị cấp dấu thời gian tin cậy cấp."),
    "cannot_validate": _("Cấu trúc chữ ký bị lỗi nên không thể kiểm tra."),
}

MODIFICATIONS = {
    "NONE": _("Không có thay đổi nào sau khi ký"),
    "LTA_UPDATES": _("Chỉ bổ sung dữ liệu kiểm tra hiệu lực chữ ký"),
    "FORM_FILLING": _("Chỉ thêm chữ ký số khác hoặc điền biểu mẫu"),
    "ANNOTATIONS": _("Thêm ghi chú lên văn bản"),
    "OTHER": _("Thay đổi nội dung khác"),
}


def verdict_label(verdict: str) -> str:
    return str(LABELS.get(verdict, LABELS[INVALID]))


def verdict_explanation(verdict: str, *, overall: bool = False) -> str:
    table = OVERALL if overall else EXPLANATIONS
    return str(table.get(verdict, table[INVALID]))


def problem_text(problem: str | None) -> str:
    return str(PROBLEMS.get(problem, "")) if problem else ""


def modification_text(level: str | None) -> str:
    if not level:
        return str(_("Không xác định"))
    return str(MODIFICATIONS.get(level, MODIFICATIONS["OTHER"]))
