"""The official forms the portal knows: default number, title and template file of each, and
the lifecycle action that issues it. Numbers and titles are only defaults: administrators
change them (and the body) in ``DocumentTemplate`` rows without a deploy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from dossiers.models import EventAction
from dossiers.models_documents import FormKey


def forms_dir() -> Path:
    """Default bodies and the sandbox's includes (``templates/documents/forms``)."""
    return Path(settings.BASE_DIR) / "templates" / "documents" / "forms"


@dataclass(frozen=True)
class FormSpec:
    key: str
    number_label: str
    title: str
    #: The history action whose event issues this form (None: on demand).
    action: str | None = None

    @property
    def template_file(self) -> Path:
        return forms_dir() / f"{self.key}.html"

    def default_body(self) -> str:
        return self.template_file.read_text(encoding="utf-8")


FORMS: dict[str, FormSpec] = {
    spec.key: spec
    for spec in (
        FormSpec(
            FormKey.RECEIPT,
            "Mẫu số 01",
            "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            EventAction.RECEIVE,
        ),
        FormSpec(
            FormKey.SUPPLEMENT_REQUEST,
            "Mẫu số 02",
            "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            EventAction.REQUEST_SUPPLEMENT,
        ),
        FormSpec(
            FormKey.REFUSAL,
            "Mẫu số 03",
            "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
            EventAction.REFUSE,
        ),
        FormSpec(
            FormKey.APOLOGY,
            "Mẫu số 04",
            "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
            EventAction.APOLOGIZE,
        ),
        FormSpec(
            FormKey.PROCESS_CONTROL, "Mẫu số 05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
        ),
        FormSpec(FormKey.LEDGER, "Mẫu số 06", "SỔ THEO DÕI HỒ SƠ"),
        FormSpec(FormKey.RESULT, "Kết quả", "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"),
    )
}

#: History action → the form its event issues (rendered by a task on the documents queue).
FORM_FOR_ACTION: dict[str, str] = {spec.action: key for key, spec in FORMS.items() if spec.action}

#: Forms stored per dossier as ``GeneratedDocument`` (the ledger spans dossiers; the result is
#: stored by the workflow as the dossier's result attachment).
DOSSIER_FORMS = (
    FormKey.RECEIPT,
    FormKey.SUPPLEMENT_REQUEST,
    FormKey.REFUSAL,
    FormKey.APOLOGY,
    FormKey.PROCESS_CONTROL,
)


def spec_for(key: str) -> FormSpec:
    try:
        return FORMS[key]
    except KeyError:
        raise LookupError(f"Unknown form {key!r}") from None
