"""Validation of a snapshot against the rules of the catalog, shared by services and import.

``validate(snapshot, lookups)`` returns every problem as ``(field, message)``; ``field`` is a
snapshot key, ``channels.<kind>.<key>`` or ``documents.<n>.<key>`` (n counted from 1), so the
importer can name the column and the services can raise a field error. Messages are Vietnamese.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from portal.models import Agency, UnitLevel
from procedures.models import ChannelKind, Sector, TimeUnit
from procedures.snapshot import Snapshot

Problem = tuple[str, str]

_DOC_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")
_MIME = re.compile(r"^[a-z0-9][a-z0-9.+\-]*/[a-z0-9*][a-z0-9.+\-*]*$")
MAX_TIME = Decimal("99999.9")
MAX_COPIES = 99
FILE_NAME_MAX = 100
LENGTHS = {
    "name": 500,
    "local_code": 60,
    "result_name": 500,
    "publishing_decision": 200,
    "keywords": 500,
    "related_codes": 500,
}


@dataclass
class Lookups:
    """Codes → ids of agencies and sectors, read once per import or service call."""

    agencies: dict[str, int]
    sectors: dict[str, tuple[int, str]]
    _files: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Lookups:
        return cls(
            agencies=dict(Agency.objects.values_list("code", "id")),
            sectors={
                code: (pk, name)
                for code, pk, name in Sector.objects.values_list("code", "id", "name")
            },
        )

    def file_exists(self, name: str) -> bool:
        if name not in self._files:
            self._files[name] = bool(name) and default_storage.exists(name)
        return self._files[name]

    def sector_names(self, codes: list[str]) -> list[str]:
        return [self.sectors[code][1] for code in codes if code in self.sectors]


def _date_ok(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _check_file(name: str, where: str, lookups: Lookups) -> list[Problem]:
    if not name:
        return []
    if len(name) > FILE_NAME_MAX or ".." in name.split("/") or name.startswith("/"):
        return [(where, _("Đường dẫn tệp mẫu không hợp lệ."))]
    if not lookups.file_exists(name):
        return [(where, _("Không tìm thấy tệp mẫu “%(name)s” trong kho tệp.") % {"name": name})]
    return []


def _validate_channels(channels: list[dict]) -> list[Problem]:
    problems: list[Problem] = []
    if not channels:
        problems.append(("channels", _("Cần ít nhất một cách thức thực hiện.")))
    seen: set[str] = set()
    for channel in channels:
        kind = channel["kind"]
        prefix = f"channels.{kind}"
        if kind not in ChannelKind.values:
            problems.append((prefix, _("Cách thức “%(kind)s” không tồn tại.") % {"kind": kind}))
            continue
        if kind in seen:
            problems.append((prefix, _("Cách thức %(kind)s bị lặp lại.") % {"kind": kind}))
        seen.add(kind)
        try:
            time = Decimal(channel["processing_time"])
        except (InvalidOperation, ValueError):
            time = None
        if time is None or not time.is_finite():
            problems.append((f"{prefix}.processing_time", _("Thời hạn giải quyết phải là số.")))
        elif time < 0:
            problems.append((f"{prefix}.processing_time", _("Thời hạn giải quyết không được âm.")))
        elif time > MAX_TIME:
            problems.append((f"{prefix}.processing_time", _("Thời hạn giải quyết quá lớn.")))
        if channel["time_unit"] not in TimeUnit.values:
            problems.append(
                (
                    f"{prefix}.time_unit",
                    _("Đơn vị thời gian phải là một trong: %(units)s.")
                    % {"units": ", ".join(TimeUnit.values)},
                )
            )
        fee = channel["fee_vnd"]
        if not isinstance(fee, int) or isinstance(fee, bool):
            problems.append((f"{prefix}.fee_vnd", _("Phí, lệ phí phải là số nguyên (đồng).")))
        elif fee < 0:
            problems.append((f"{prefix}.fee_vnd", _("Phí, lệ phí không được âm.")))
        if len(channel["fee_description"]) > 500:
            problems.append(
                (f"{prefix}.fee_description", _("Mô tả phí quá dài (tối đa 500 ký tự)."))
            )
    return problems


def _validate_documents(documents: list[dict], lookups: Lookups) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for n, doc in enumerate(documents, start=1):
        prefix = f"documents.{n}"
        code = doc["code"]
        if not code or len(code) > 40 or not _DOC_CODE.match(code):
            problems.append(
                (f"{prefix}.code", _("Mã giấy tờ chỉ gồm chữ không dấu, số, “-”, “_” (tối đa 40)."))
            )
        elif code in seen:
            problems.append((f"{prefix}.code", _("Mã giấy tờ “%(code)s” bị lặp.") % {"code": code}))
        seen.add(code)
        if not doc["name"]:
            problems.append((f"{prefix}.name", _("Thiếu tên giấy tờ.")))
        elif len(doc["name"]) > 500:
            problems.append((f"{prefix}.name", _("Tên giấy tờ quá dài (tối đa 500 ký tự).")))
        if len(doc["case"]) > 255:
            problems.append((f"{prefix}.case", _("Tên trường hợp quá dài (tối đa 255 ký tự).")))
        for key in ("originals", "certified_copies", "photocopies"):
            value = doc[key]
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 0 <= value <= MAX_COPIES
            ):
                problems.append((f"{prefix}.{key}", _("Số bản phải là số nguyên từ 0 đến 99.")))
        types = doc["accepted_types"].split(",")
        if len(doc["accepted_types"]) > 200 or not all(_MIME.match(t) for t in types):
            problems.append((f"{prefix}.accepted_types", _("Định dạng tệp phải là kiểu MIME.")))
        problems += _check_file(doc["form_template"], f"{prefix}.form_template", lookups)
    return problems


def _validate_legal_basis(entries: list[dict]) -> list[Problem]:
    problems: list[Problem] = []
    for n, entry in enumerate(entries, start=1):
        where = f"legal_basis.{n}"
        if not entry["number"] and not entry["title"]:
            problems.append((where, _("Văn bản pháp lý cần số hiệu hoặc tên.")))
        for key in ("issued_on", "effective_on"):
            if entry[key] and not _date_ok(entry[key]):
                problems.append((f"{where}.{key}", _("Ngày phải theo dạng YYYY-MM-DD.")))
        if any(len(value) > 500 for value in entry.values()):
            problems.append((where, _("Thông tin văn bản quá dài (tối đa 500 ký tự).")))
    return problems


def validate(snapshot: Snapshot, lookups: Lookups) -> list[Problem]:
    """Every problem of ``snapshot`` (empty list: valid)."""
    problems: list[Problem] = []
    if not snapshot["name"]:
        problems.append(("name", _("Thiếu tên thủ tục.")))
    for key, limit in LENGTHS.items():
        if len(snapshot[key]) > limit:
            problems.append((key, _("Quá dài (tối đa %(limit)s ký tự).") % {"limit": limit}))
    if snapshot["gov_level"] not in UnitLevel.values:
        problems.append(
            (
                "gov_level",
                _("Cấp thực hiện phải là một trong: %(levels)s.")
                % {"levels": ", ".join(UnitLevel.values)},
            )
        )
    level = snapshot["service_level"]
    if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 4:
        problems.append(("service_level", _("Mức độ dịch vụ công phải là số từ 1 đến 4.")))
    if not snapshot["implementing_agency"]:
        problems.append(("implementing_agency", _("Thiếu cơ quan thực hiện.")))
    for key in ("implementing_agency", "competent_agency", "authorised_agency"):
        code = snapshot[key]
        if code and code not in lookups.agencies:
            problems.append((key, _("Không có cơ quan mã “%(code)s”.") % {"code": code}))
    for key in ("coordinating_agencies", "receiving_agencies"):
        unknown = [code for code in snapshot[key] if code not in lookups.agencies]
        if unknown:
            problems.append(
                (key, _("Không có cơ quan mã: %(codes)s.") % {"codes": ", ".join(unknown)})
            )
    if not snapshot["sectors"]:
        problems.append(("sectors", _("Cần ít nhất một lĩnh vực.")))
    unknown = [code for code in snapshot["sectors"] if code not in lookups.sectors]
    if unknown:
        problems.append(
            ("sectors", _("Không có lĩnh vực mã: %(codes)s.") % {"codes": ", ".join(unknown)})
        )
    problems += _validate_channels(snapshot["channels"])
    if (
        isinstance(level, int)
        and level >= 3
        and not any(c["kind"] == ChannelKind.ONLINE for c in snapshot["channels"])
    ):
        problems.append(
            ("channels.online", _("Mức độ 3, 4 cần có cách thức nộp trực tuyến (online)."))
        )
    problems += _validate_documents(snapshot["documents"], lookups)
    problems += _validate_legal_basis(snapshot["legal_basis"])
    problems += _check_file(snapshot["result_template"], "result_template", lookups)
    return problems
