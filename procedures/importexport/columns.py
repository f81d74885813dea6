"""The catalog file format (docs/catalog-format.md): one row per procedure version.

A row is a snapshot (procedures/snapshot.py) flattened into text cells: plain fields as text,
lists of codes separated by ``;``, flags as ``1``/``0``, one group of four columns per channel,
and the legal basis and the required documents as JSON arrays. ``snapshot_to_row`` and
``row_to_snapshot`` are exact inverses on canonical data, which is what makes re-importing an
exported file a no-op.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from procedures.search import fold
from procedures.snapshot import DOCUMENT_KEYS, LEGAL_BASIS_KEYS, Snapshot, normalize

CHANNEL_KINDS = ("direct", "online", "postal")
CHANNEL_SUFFIXES = ("time", "time_unit", "fee_vnd", "fee_description")
COLUMNS: tuple[str, ...] = (
    "code",
    "local_code",
    "name",
    "sectors",
    "gov_level",
    "service_level",
    "implementing_agency",
    "competent_agency",
    "authorised_agency",
    "coordinating_agencies",
    "receiving_agencies",
    "steps",
    "applicants",
    "conditions",
    "result_name",
    "result_template",
    "legal_basis",
    "publishing_decision",
    "keywords",
    "related_codes",
    "postal_eligible",
    "online_payment",
    "result_must_be_signed",
    *(f"{kind}_{suffix}" for kind in CHANNEL_KINDS for suffix in CHANNEL_SUFFIXES),
    "documents",
)
# Written on export for the reader's information; optional and ignored on import.
INFO_COLUMNS: tuple[str, ...] = ("version", "state")
ALL_COLUMNS = (*COLUMNS, *INFO_COLUMNS)
TEXT_COLUMNS = (
    "local_code",
    "name",
    "implementing_agency",
    "competent_agency",
    "authorised_agency",
    "steps",
    "applicants",
    "conditions",
    "result_name",
    "result_template",
    "publishing_decision",
    "keywords",
    "related_codes",
)
LIST_COLUMNS = ("sectors", "coordinating_agencies", "receiving_agencies")
FLAG_COLUMNS = ("postal_eligible", "online_payment", "result_must_be_signed")
TRUE_WORDS = {"1", "true", "yes", "co", "x", "dung"}
FALSE_WORDS = {"0", "false", "no", "khong", "", "sai"}
LEVEL_WORDS = {
    "province": "province",
    "tinh": "province",
    "cap tinh": "province",
    "district": "district",
    "huyen": "district",
    "cap huyen": "district",
    "commune": "commune",
    "xa": "commune",
    "cap xa": "commune",
}
UNIT_WORDS = {
    "working_days": "working_days",
    "ngay lam viec": "working_days",
    "calendar_days": "calendar_days",
    "ngay": "calendar_days",
    "working_hours": "working_hours",
    "gio lam viec": "working_hours",
}
#: The Vietnamese name of each column (docs/catalog-format.md), shown beside the column name in
#: the admin's import preview and in import error messages. ``channels`` is the snapshot field
#: that the channel columns make up (named in the preview's list of changed fields).
COLUMN_LABELS = {
    "code": gettext_lazy("Mã thủ tục"),
    "local_code": gettext_lazy("Mã đầy đủ"),
    "name": gettext_lazy("Tên thủ tục"),
    "sectors": gettext_lazy("Lĩnh vực"),
    "gov_level": gettext_lazy("Cấp thực hiện"),
    "service_level": gettext_lazy("Mức độ dịch vụ công trực tuyến"),
    "implementing_agency": gettext_lazy("Cơ quan thực hiện"),
    "competent_agency": gettext_lazy("Cơ quan có thẩm quyền"),
    "authorised_agency": gettext_lazy("Cơ quan được ủy quyền"),
    "coordinating_agencies": gettext_lazy("Cơ quan phối hợp"),
    "receiving_agencies": gettext_lazy("Nơi tiếp nhận"),
    "steps": gettext_lazy("Trình tự thực hiện"),
    "applicants": gettext_lazy("Đối tượng thực hiện"),
    "conditions": gettext_lazy("Yêu cầu, điều kiện"),
    "result_name": gettext_lazy("Kết quả thực hiện"),
    "result_template": gettext_lazy("Mẫu kết quả"),
    "legal_basis": gettext_lazy("Căn cứ pháp lý"),
    "publishing_decision": gettext_lazy("Quyết định công bố"),
    "keywords": gettext_lazy("Từ khoá tìm kiếm"),
    "related_codes": gettext_lazy("Thủ tục liên quan, liên thông"),
    "postal_eligible": gettext_lazy("Tiếp nhận, trả kết quả qua bưu chính"),
    "online_payment": gettext_lazy("Thanh toán trực tuyến"),
    "result_must_be_signed": gettext_lazy("Kết quả phải ký số"),
    "documents": gettext_lazy("Thành phần hồ sơ"),
    "version": gettext_lazy("Phiên bản"),
    "state": gettext_lazy("Trạng thái"),
    "channels": gettext_lazy("Cách thức thực hiện, thời hạn, phí và lệ phí"),
}
CHANNEL_LABELS = {
    "direct": gettext_lazy("trực tiếp"),
    "online": gettext_lazy("trực tuyến"),
    "postal": gettext_lazy("bưu chính"),
}
CHANNEL_SUFFIX_LABELS = {
    "time": gettext_lazy("Thời hạn giải quyết"),
    "time_unit": gettext_lazy("Đơn vị thời hạn"),
    "fee_vnd": gettext_lazy("Phí, lệ phí (đồng)"),
    "fee_description": gettext_lazy("Mô tả phí, lệ phí"),
}


def column_label(column: str) -> str:
    """``direct_fee_vnd`` → ``Phí, lệ phí (đồng) – trực tiếp``; an unknown column as it is."""
    if column in COLUMN_LABELS:
        return str(COLUMN_LABELS[column])
    kind, _sep, suffix = column.partition("_")
    if kind in CHANNEL_LABELS and suffix in CHANNEL_SUFFIX_LABELS:
        return f"{CHANNEL_SUFFIX_LABELS[suffix]} – {CHANNEL_LABELS[kind]}"
    return column


_FEE = re.compile(r"^\d{1,3}([., ]\d{3})+$|^\d+$")

Problem = tuple[str, str]


def _json_cell(value: list) -> str:
    return json.dumps(value, ensure_ascii=False) if value else ""


def snapshot_to_row(
    code: str, snapshot: Snapshot, *, version: int | str = "", state: str = ""
) -> dict[str, str]:
    """The cells of one row for ``snapshot``."""
    row = {"code": code}
    for column in TEXT_COLUMNS:
        row[column] = snapshot[column]
    row["gov_level"] = snapshot["gov_level"]
    row["service_level"] = str(snapshot["service_level"])
    for column in LIST_COLUMNS:
        row[column] = ";".join(snapshot[column])
    for column in FLAG_COLUMNS:
        row[column] = "1" if snapshot[column] else "0"
    channels = {c["kind"]: c for c in snapshot["channels"]}
    for kind in CHANNEL_KINDS:
        channel = channels.get(kind)
        row[f"{kind}_time"] = channel["processing_time"] if channel else ""
        row[f"{kind}_time_unit"] = channel["time_unit"] if channel else ""
        row[f"{kind}_fee_vnd"] = str(channel["fee_vnd"]) if channel else ""
        row[f"{kind}_fee_description"] = channel["fee_description"] if channel else ""
    row["legal_basis"] = _json_cell(snapshot["legal_basis"])
    row["documents"] = _json_cell(snapshot["documents"])
    row["version"] = str(version)
    row["state"] = state
    return row


def _parse_json_list(
    text: str, column: str, keys: tuple[str, ...], problems: list[Problem]
) -> list:
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except ValueError as exc:
        problems.append((column, _("JSON không hợp lệ (%(error)s).") % {"error": exc}))
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.append((column, _("Phải là một mảng JSON các đối tượng {…}.")))
        return []
    for n, item in enumerate(value, start=1):
        unknown = sorted(set(item) - set(keys))
        if unknown:
            problems.append(
                (
                    column,
                    _("Phần tử thứ %(n)s có khoá không hợp lệ: %(keys)s.")
                    % {"n": n, "keys": ", ".join(unknown)},
                )
            )
    return value


def _flag(text: str, column: str, problems: list[Problem]) -> bool:
    word = fold(text)
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        problems.append((column, _("Giá trị phải là 1 (có) hoặc 0 (không).")))
    return False


def _time(text: str, column: str, problems: list[Problem]) -> str:
    text = text.strip().replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.append((column, _("Thời hạn phải là số (ví dụ 15 hoặc 0.5).")))
        return "0"
    if not value.is_finite():
        problems.append((column, _("Thời hạn phải là số (ví dụ 15 hoặc 0.5).")))
        return "0"
    return str(value)


def _fee(text: str, column: str, problems: list[Problem]) -> int:
    text = text.strip()
    if not text:
        return 0
    if text.startswith("-") and _FEE.match(text[1:]):
        problems.append((column, _("Phí, lệ phí không được âm.")))
        return 0
    if not _FEE.match(text):
        problems.append((column, _("Phí, lệ phí phải là số nguyên (đồng), ví dụ 50000.")))
        return 0
    return int(re.sub(r"[., ]", "", text))


def row_to_snapshot(cells: dict[str, str]) -> tuple[str, Snapshot, list[Problem]]:
    """``(code, snapshot, problems)`` for the cells of one row (problems name columns)."""
    problems: list[Problem] = []
    code = " ".join((cells.get("code") or "").split())
    if not code:
        problems.append(("code", _("Thiếu mã thủ tục.")))
    elif len(code) > 40 or not re.fullmatch(r"[A-Za-z0-9.\-]+", code):
        problems.append(("code", _("Mã thủ tục chỉ gồm chữ không dấu, số, “.”, “-” (tối đa 40).")))
    data: dict = {column: cells.get(column, "") for column in TEXT_COLUMNS}
    for column in LIST_COLUMNS:
        data[column] = cells.get(column, "")
    level = fold(cells.get("gov_level", ""))
    data["gov_level"] = LEVEL_WORDS.get(level, cells.get("gov_level", ""))
    service_level = cells.get("service_level", "").strip()
    if service_level not in {"1", "2", "3", "4"}:
        problems.append(("service_level", _("Mức độ dịch vụ công phải là số từ 1 đến 4.")))
        service_level = "1"
    data["service_level"] = int(service_level)
    for column in FLAG_COLUMNS:
        data[column] = _flag(cells.get(column, ""), column, problems)
    channels = []
    for kind in CHANNEL_KINDS:
        time = cells.get(f"{kind}_time", "").strip()
        others = [cells.get(f"{kind}_{s}", "").strip() for s in CHANNEL_SUFFIXES[1:]]
        if not time:
            if any(others):
                problems.append(
                    (f"{kind}_time", _("Có phí hoặc đơn vị nhưng thiếu thời hạn giải quyết."))
                )
            continue
        unit_text = cells.get(f"{kind}_time_unit", "").strip()
        unit = UNIT_WORDS.get(fold(unit_text), unit_text) if unit_text else "working_days"
        channels.append(
            {
                "kind": kind,
                "processing_time": _time(time, f"{kind}_time", problems),
                "time_unit": unit,
                "fee_vnd": _fee(cells.get(f"{kind}_fee_vnd", ""), f"{kind}_fee_vnd", problems),
                "fee_description": cells.get(f"{kind}_fee_description", ""),
            }
        )
    data["channels"] = channels
    data["legal_basis"] = _parse_json_list(
        cells.get("legal_basis", ""), "legal_basis", LEGAL_BASIS_KEYS, problems
    )
    documents = _parse_json_list(cells.get("documents", ""), "documents", DOCUMENT_KEYS, problems)
    for n, document in enumerate(documents, start=1):
        for key in ("originals", "certified_copies", "photocopies"):
            if not isinstance(document.get(key, 0), int) or isinstance(document.get(key), bool):
                problems.append(
                    ("documents", _("Giấy tờ thứ %(n)s: số bản phải là số nguyên.") % {"n": n})
                )
                document[key] = 0
        if "required" in document and not isinstance(document["required"], bool):
            problems.append(
                ("documents", _("Giấy tờ thứ %(n)s: “required” phải là true/false.") % {"n": n})
            )
    data["documents"] = documents
    return code, normalize(data), problems


def column_for(path: str) -> tuple[str, str]:
    """Map a validation path to ``(column, message prefix)``."""
    parts = path.split(".")
    if parts[0] == "channels":
        kind = parts[1] if len(parts) > 1 else "direct"
        suffix = {
            "processing_time": "time",
            "time_unit": "time_unit",
            "fee_vnd": "fee_vnd",
            "fee_description": "fee_description",
        }.get(parts[2] if len(parts) > 2 else "", "time")
        return (f"{kind}_{suffix}" if kind in CHANNEL_KINDS else "direct_time"), ""
    if parts[0] == "documents" and len(parts) > 1:
        return "documents", _("Giấy tờ thứ %(n)s: ") % {"n": parts[1]}
    if parts[0] == "legal_basis" and len(parts) > 1:
        return "legal_basis", _("Văn bản thứ %(n)s: ") % {"n": parts[1]}
    return parts[0], ""
