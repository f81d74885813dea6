"""Cleaning of user-supplied values shared by filing and the workflow: NFC, no NUL bytes,
lengths, and Vietnamese error messages collected per field."""

from __future__ import annotations

import datetime
import unicodedata

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from dossiers.errors import ValidationError


class Cleaner:
    """Collects field errors; ``raise_if_errors`` raises them all at once."""

    def __init__(self, data: dict | None):
        self.data = data or {}
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(str(message))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    def text(
        self, field: str, *, required: bool = False, max_length: int = 2000, default: str = ""
    ) -> str:
        raw = self.data.get(field, default)
        if raw is None:
            raw = default
        if isinstance(raw, list | tuple):
            raw = raw[0] if raw else ""
        value = unicodedata.normalize("NFC", str(raw)).strip()
        if "\x00" in value:
            self.add(field, _("Dữ liệu không hợp lệ."))
            return ""
        if required and not value:
            self.add(field, _("Trường này là bắt buộc."))
        elif len(value) > max_length:
            self.add(field, _("Tối đa %(n)s ký tự.") % {"n": max_length})
        return value

    def boolean(self, field: str, default: bool = False) -> bool:
        raw = self.data.get(field, default)
        if isinstance(raw, bool):
            return raw
        value = str(raw).strip().lower()
        if value in {"1", "true", "on", "yes", "có"}:
            return True
        if value in {"", "0", "false", "off", "no", "không", "none"}:
            return False
        self.add(field, _("Giá trị không hợp lệ."))
        return default

    def integer(self, field: str, *, required: bool = False, minimum: int | None = None) -> int:
        raw = self.data.get(field)
        if raw in (None, ""):
            if required:
                self.add(field, _("Trường này là bắt buộc."))
            return 0
        try:
            value = int(str(raw).strip())
        except (TypeError, ValueError):
            self.add(field, _("Phải là một số nguyên."))
            return 0
        if minimum is not None and value < minimum:
            self.add(field, _("Phải lớn hơn hoặc bằng %(n)s.") % {"n": minimum})
        elif value > 10**15:
            self.add(field, _("Giá trị quá lớn."))
        return value

    def date(self, field: str, *, required: bool = False) -> datetime.date | None:
        raw = self.data.get(field)
        if isinstance(raw, datetime.datetime):
            return raw.date()
        if isinstance(raw, datetime.date):
            return raw
        if raw in (None, ""):
            if required:
                self.add(field, _("Trường này là bắt buộc."))
            return None
        text = str(raw).strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        self.add(field, _("Ngày không hợp lệ (định dạng YYYY-MM-DD hoặc dd/mm/yyyy)."))
        return None

    def text_list(self, field: str, *, required: bool = False, max_items: int = 50) -> list[str]:
        raw = self.data.get(field)
        if raw in (None, ""):
            items: list = []
        elif isinstance(raw, list | tuple):
            items = list(raw)
        else:
            items = str(raw).splitlines()
        values = []
        for item in items:
            value = unicodedata.normalize("NFC", str(item)).strip()
            if "\x00" in value:
                self.add(field, _("Dữ liệu không hợp lệ."))
                return []
            if value:
                values.append(value[:500])
        if required and not values:
            self.add(field, _("Cần nêu ít nhất một giấy tờ."))
        if len(values) > max_items:
            self.add(field, _("Tối đa %(n)s mục.") % {"n": max_items})
        return values

    def validate(self, field: str, value: str, validator) -> None:
        if not value:
            return
        try:
            validator(value)
        except DjangoValidationError as exc:
            for message in exc.messages:
                self.add(field, message)

    def email(self, field: str, value: str) -> None:
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                self.add(field, _("Địa chỉ thư điện tử không hợp lệ."))
