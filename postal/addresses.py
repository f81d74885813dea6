"""Addresses down to commune level, checked against the administrative unit list.

A shipment's citizen side needs a commune (``AdministrativeUnit`` of level commune, current).
It comes either as an official code (API, admin) — refused with a reason when it is not in the
list — or is recognised in the free-text address the citizen gave at filing: the commune's full
name ("Phường 4", "Xã Xuân Trường") must appear as whole words, and when several communes carry
that name ("Phường 1" exists in many towns) the district or province name decides.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from dossiers.errors import ValidationError
from portal.models import AdministrativeUnit, UnitLevel

_PARENT_PREFIXES = ("thanh pho ", "thi xa ", "huyen ", "quan ", "tinh ")


def fold(text: str) -> str:
    """Lower case, no Vietnamese marks (đ → d), single spaces: for matching, never for display."""
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFC", text or ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "d").replace("Đ", "D").lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _contains(haystack: str, phrase: str) -> bool:
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", haystack) is not None


def _names_of(unit: AdministrativeUnit) -> list[str]:
    """The unit's folded name, and without its "thành phố"/"huyện"… prefix."""
    folded = fold(unit.name)
    names = [folded]
    for prefix in _PARENT_PREFIXES:
        if folded.startswith(prefix):
            names.append(folded[len(prefix) :])
    return names


def _located_depth(unit: AdministrativeUnit, text: str) -> int | None:
    """How far up the nearest ancestor named in ``text`` is (0: the parent), or None."""
    for depth, parent in enumerate(unit.ancestors()):
        if any(_contains(text, name) for name in _names_of(parent)):
            return depth
    return None


def communes():
    return AdministrativeUnit.objects.current().filter(level=UnitLevel.COMMUNE)


def commune_by_code(code, field: str = "commune") -> AdministrativeUnit:
    """The current commune with this official code, or a field error saying it is not one."""
    value = unicodedata.normalize("NFC", str(code or "")).strip()
    unit = None
    if value and "\x00" not in value and len(value) <= 20:
        unit = communes().filter(code=value).first()
    if unit is None:
        raise ValidationError(
            {
                field: [
                    _(
                        "“%(code)s” không phải mã xã/phường/thị trấn trong danh mục đơn vị "
                        "hành chính hiện hành."
                    )
                    % {"code": value[:20]}
                ]
            }
        )
    return unit


def resolve_commune(address: str) -> AdministrativeUnit | None:
    """The commune named in a free-text address, or None when none or several match."""
    text = fold(address)
    if not text:
        return None
    candidates = [
        unit
        for unit in communes().select_related("parent__parent")
        if _contains(text, fold(unit.name))
    ]
    if len(candidates) > 1:
        # Several communes carry the name ("Phường 1"): keep those whose nearest named
        # ancestor is the closest (the district beats the province both share).
        depths = {unit.pk: _located_depth(unit, text) for unit in candidates}
        named = [d for d in depths.values() if d is not None]
        if named:
            candidates = [u for u in candidates if depths[u.pk] == min(named)]
    return candidates[0] if len(candidates) == 1 else None


def full_address(street: str, commune: AdministrativeUnit) -> str:
    """``street, commune, district, province`` for labels (the street is kept as given)."""
    parts = [street.strip()] if street and street.strip() else []
    names = [commune.name, *[u.name for u in commune.ancestors()]]
    folded_street = fold(street)
    parts.extend(name for name in names if not _contains(folded_street, fold(name)))
    return ", ".join(parts)
