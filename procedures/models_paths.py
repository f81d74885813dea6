"""Processing paths (quy trình liên thông) of procedure versions, as data.

A ``ProcessingPath`` lists the ordered ``ProcessingStep`` rows a dossier of one procedure version
travels through. Each step is owned either by one named agency or by a rule relative to the
unit that received the dossier ("the People's Committee of the receiving commune's district",
"the procedure's implementing agency"), so the same path serves every desk of the province
(boundary-free intake) and both the 2017 three-tier and the 2025 two-tier layouts: levels are
data (``UnitLevel``), never a hard-coded "district" step.

Rules (checked by ``validate_steps`` in the admin form and in ``save_path``):

* the first step is the desk that received the dossier; the last step returns the result, and
  only the last one does;
* a named agency must exist, be active and belong to the province of the procedure;
* the same owner twice in a row, or an owner coming back later in the path (a cycle of
  hand-overs), is a loop — except the receiving desk, which may both receive and return;
* a time budget, when given, is a positive number of working hours.

``resolve_step`` turns a step into an agency for a given receiving agency at run time; the
dossiers' routing engine (``dossiers/routing.py``) calls it and turns its ``PathError`` into an
alert, so a dossier whose path became invalid stays where it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from portal.models import AdministrativeUnit, Agency, AgencyKind, UnitLevel

__all__ = [
    "PathError",
    "ProcessingPath",
    "ProcessingStep",
    "StepOwner",
    "StepSpec",
    "default_steps",
    "path_for",
    "province_of",
    "resolve_step",
    "save_path",
    "steps_for",
    "validate_steps",
]

MAX_STEPS = 12
MAX_STEP_HOURS = Decimal("2000")


class StepOwner(models.TextChoices):
    RECEIVING = "receiving", _("Bộ phận một cửa nơi tiếp nhận hồ sơ")
    AGENCY = "agency", _("Một cơ quan cụ thể")
    IMPLEMENTING = "implementing", _("Cơ quan thực hiện thủ tục (theo địa bàn nơi tiếp nhận)")
    LEVEL = "level", _("Cơ quan theo cấp, tính từ đơn vị nơi tiếp nhận")


class ProcessingPath(models.Model):
    """The path of one procedure version (versions without one inherit the latest earlier
    version's path, then the default derived from the procedure's level)."""

    version = models.OneToOneField(
        "procedures.ProcedureVersion",
        verbose_name=_("phiên bản thủ tục"),
        on_delete=models.CASCADE,
        related_name="processing_path",
    )
    note = models.TextField(_("ghi chú"), blank=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("quy trình liên thông")
        verbose_name_plural = _("quy trình liên thông")
        ordering = ["version__procedure__code", "-version__number"]

    def __str__(self) -> str:
        return _gettext("Quy trình của %(version)s") % {"version": self.version}


class ProcessingStep(models.Model):
    path = models.ForeignKey(ProcessingPath, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên bước"), max_length=200, blank=True)
    owner = models.CharField(_("cơ quan thực hiện bước"), max_length=16, choices=StepOwner.choices)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        # A deleted agency leaves the step without owner: validation and the run-time check
        # report it instead of the deletion being blocked by old paths.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    level = models.CharField(_("cấp"), max_length=16, choices=UnitLevel.choices, blank=True)
    agency_kind = models.CharField(
        _("loại cơ quan"), max_length=32, choices=AgencyKind.choices, blank=True
    )
    hours = models.DecimalField(
        _("thời gian (giờ làm việc)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("Để trống: đến ngày hẹn trả kết quả của hồ sơ."),
    )
    returns_result = models.BooleanField(_("trả kết quả"), default=False)

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("các bước xử lý")
        ordering = ["path", "position"]
        constraints = [
            models.UniqueConstraint(fields=["path", "position"], name="unique_path_position"),
        ]

    def __str__(self) -> str:
        return self.name or self.get_owner_display()

    def spec(self) -> StepSpec:
        return StepSpec(
            owner=self.owner,
            name=self.name,
            agency_id=self.agency_id,
            level=self.level,
            kind=self.agency_kind,
            hours=str(self.hours) if self.hours is not None else None,
            returns=self.returns_result,
        )


class PathError(Exception):
    """A step cannot be resolved to an active agency of the province (Vietnamese message)."""


@dataclass(frozen=True)
class StepSpec:
    """A step as plain data: what a path row says, and what a dossier's route snapshots."""

    owner: str
    name: str = ""
    agency_id: int | None = None
    level: str = ""
    kind: str = ""
    hours: str | None = None
    returns: bool = False

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> StepSpec:
        return cls(**{k: data.get(k, getattr(cls, k, None)) for k in cls.__dataclass_fields__})

    @property
    def budget(self) -> Decimal | None:
        return Decimal(self.hours) if self.hours not in (None, "") else None

    def key(self, implementing_id: int | None) -> tuple:
        """What makes two steps "the same owner" for the loop rules."""
        if self.owner == StepOwner.AGENCY and self.agency_id == implementing_id:
            return (StepOwner.IMPLEMENTING,)
        if self.owner == StepOwner.AGENCY:
            return (StepOwner.AGENCY, self.agency_id)
        if self.owner == StepOwner.LEVEL:
            return (StepOwner.LEVEL, self.level, self.kind)
        return (self.owner,)


# --- the default path -----------------------------------------------------------------------


def return_step_hours() -> Decimal:
    return Decimal(str(getattr(settings, "ROUTING_RETURN_STEP_HOURS", 8)))


def default_steps(version) -> list[StepSpec]:
    """Receiving desk → the competent agency at the procedure's level → back to the desk.

    The middle step is the implementing agency's counterpart for the receiving unit's territory
    (the district People's Committee of a commune's district for a district procedure, the
    department for a provincial one). Consecutive steps that resolve to the same agency are
    merged when a route is built, so a commune procedure received at its commune is one step.
    """
    return [
        StepSpec(owner=StepOwner.RECEIVING, name=_gettext("Tiếp nhận hồ sơ")),
        StepSpec(owner=StepOwner.IMPLEMENTING, name=_gettext("Thẩm định, giải quyết")),
        StepSpec(
            owner=StepOwner.RECEIVING,
            name=_gettext("Trả kết quả"),
            hours=str(return_step_hours()),
            returns=True,
        ),
    ]


def path_for(version) -> ProcessingPath | None:
    """The version's own path, else the latest path of an earlier version of the procedure."""
    return (
        ProcessingPath.objects.filter(
            version__procedure_id=version.procedure_id, version__number__lte=version.number
        )
        .order_by("-version__number")
        .first()
    )


def steps_for(version) -> tuple[ProcessingPath | None, list[StepSpec]]:
    path = path_for(version)
    if path is None:
        return None, default_steps(version)
    return path, [step.spec() for step in path.steps.order_by("position")]


# --- resolution -----------------------------------------------------------------------------


def _chain(unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    """``unit`` and its ancestors, nearest first (one query per level: the tree is shallow)."""
    return [unit, *unit.ancestors()]


def province_of(agency: Agency) -> AdministrativeUnit:
    return _chain(agency.unit)[-1]


def _pick(candidates: list[Agency], version) -> Agency | None:
    preferred = {version.implementing_agency_id, version.competent_agency_id} - {None}
    for agency in candidates:
        if agency.pk in preferred:
            return agency
    if len(candidates) == 1:
        return candidates[0]
    desks = [a for a in candidates if a.is_receiving_desk]
    return desks[0] if len(desks) == 1 else None


def _counterpart(implementing: Agency, unit: AdministrativeUnit) -> Agency | None:
    """The agency of ``unit`` doing what ``implementing`` does for its own territory: the only
    active one of the same kind, else the one named alike ("Phòng Tư pháp <unit>"), else the
    only receiving desk among them."""
    candidates = list(
        Agency.objects.select_related("unit")
        .filter(unit=unit, kind=implementing.kind, is_active=True)
        .order_by("code")
    )
    if len(candidates) == 1:
        return candidates[0]
    stem = implementing.name.replace(implementing.unit.name, "").strip()
    named = [a for a in candidates if stem and a.name.startswith(stem)]
    if len(named) == 1:
        return named[0]
    desks = [a for a in candidates if a.is_receiving_desk]
    return desks[0] if len(desks) == 1 else None


def _at_level(level: str, kind: str, receiving: Agency, version) -> Agency | None:
    unit = next((u for u in _chain(receiving.unit) if u.level == level), None)
    if unit is None:
        return None
    candidates = list(
        Agency.objects.select_related("unit")
        .filter(unit=unit, kind=kind, is_active=True)
        .order_by("code")
    )
    return _pick(candidates, version)


def resolve_step(spec: StepSpec, version, receiving: Agency) -> Agency:
    """The active agency of the province that owns ``spec`` for a dossier received by
    ``receiving``; ``PathError`` (Vietnamese message) when there is none."""
    label = spec.name or (StepOwner(spec.owner).label if spec.owner in StepOwner.values else "?")
    if spec.owner == StepOwner.RECEIVING:
        agency = receiving
    elif spec.owner == StepOwner.AGENCY:
        agency = (
            Agency.objects.select_related("unit").filter(pk=spec.agency_id).first()
            if spec.agency_id
            else None
        )
        if agency is None:
            raise PathError(
                _gettext("Bước “%(step)s”: cơ quan thực hiện không còn tồn tại.") % {"step": label}
            )
    elif spec.owner == StepOwner.IMPLEMENTING:
        implementing = version.implementing_agency
        unit = next((u for u in _chain(receiving.unit) if u.level == version.gov_level), None)
        if unit is None or unit.pk == implementing.unit_id:
            # The receiving unit lies in the implementing agency's territory, or no unit of the
            # procedure's level is above it (the 2025 layout has no district; a provincial desk
            # receives for the whole province): the implementing agency itself.
            agency = implementing
        else:
            agency = _counterpart(implementing, unit)
            if agency is None:
                raise PathError(
                    _gettext("Bước “%(step)s”: không xác định được cơ quan tương ứng tại %(unit)s.")
                    % {"step": label, "unit": unit.name}
                )
    elif spec.owner == StepOwner.LEVEL:
        agency = _at_level(spec.level, spec.kind, receiving, version)
        if agency is None:
            raise PathError(
                _gettext(
                    "Bước “%(step)s”: không xác định được %(kind)s cấp %(level)s của nơi tiếp nhận."
                )
                % {
                    "step": label,
                    "kind": AgencyKind(spec.kind).label if spec.kind else "",
                    "level": UnitLevel(spec.level).label if spec.level else "",
                }
            )
    else:
        raise PathError(_gettext("Bước “%(step)s” không hợp lệ.") % {"step": label})
    if not agency.is_active:
        raise PathError(
            _gettext("Bước “%(step)s”: %(agency)s đã ngừng hoạt động.")
            % {"step": label, "agency": agency.name}
        )
    if province_of(agency).pk != province_of(receiving).pk:
        raise PathError(
            _gettext("Bước “%(step)s”: %(agency)s không thuộc tỉnh của nơi tiếp nhận.")
            % {"step": label, "agency": agency.name}
        )
    return agency


# --- validation and the editing service -----------------------------------------------------


def _as_spec(step: StepSpec | Mapping) -> StepSpec:
    if isinstance(step, StepSpec):
        return step
    agency = step.get("agency")
    hours = step.get("hours")
    return StepSpec(
        owner=step.get("owner") or "",
        name=(step.get("name") or "").strip(),
        agency_id=getattr(agency, "pk", agency) or step.get("agency_id"),
        level=step.get("level") or "",
        kind=step.get("agency_kind") or step.get("kind") or "",
        hours=str(hours) if hours not in (None, "") else None,
        returns=bool(step.get("returns_result", step.get("returns", False))),
    )


def validate_steps(version, steps: Iterable[StepSpec | Mapping]) -> list[StepSpec]:
    """The steps as ``StepSpec`` if they form a valid path for ``version``; else a
    ``ValidationError`` listing every problem in Vietnamese (step numbers from 1)."""
    specs = [_as_spec(s) for s in steps]
    errors: list[str] = []
    if not specs:
        raise ValidationError(_gettext("Quy trình cần ít nhất một bước."))
    if len(specs) > MAX_STEPS:
        errors.append(_gettext("Quy trình có tối đa %(n)d bước.") % {"n": MAX_STEPS})
    home = province_of(version.implementing_agency)
    agencies = {
        a.pk: a
        for a in Agency.objects.select_related("unit").filter(
            pk__in=[s.agency_id for s in specs if s.agency_id]
        )
    }
    for number, spec in enumerate(specs, start=1):
        where = _gettext("Bước %(n)d") % {"n": number}
        if spec.owner not in StepOwner.values:
            errors.append(_gettext("%(where)s: chọn cơ quan thực hiện bước.") % {"where": where})
            continue
        if spec.owner == StepOwner.AGENCY:
            agency = agencies.get(spec.agency_id)
            if agency is None:
                errors.append(
                    _gettext("%(where)s: cơ quan không tồn tại (có thể đã bị xoá).")
                    % {"where": where}
                )
            elif not agency.is_active:
                errors.append(
                    _gettext("%(where)s: %(agency)s đã ngừng hoạt động.")
                    % {"where": where, "agency": agency.name}
                )
            elif province_of(agency).pk != home.pk:
                errors.append(
                    _gettext("%(where)s: %(agency)s không thuộc tỉnh %(province)s.")
                    % {"where": where, "agency": agency.name, "province": home.name}
                )
        if spec.owner == StepOwner.LEVEL and (
            spec.level not in UnitLevel.values or spec.kind not in AgencyKind.values
        ):
            errors.append(
                _gettext("%(where)s: chọn cấp và loại cơ quan thực hiện.") % {"where": where}
            )
        if spec.hours is not None:
            try:
                hours = Decimal(spec.hours)
            except (InvalidOperation, ValueError):
                hours = Decimal("-1")
            if not (Decimal("0") < hours <= MAX_STEP_HOURS):
                errors.append(
                    _gettext("%(where)s: thời gian phải từ 0,1 đến %(max)s giờ làm việc.")
                    % {"where": where, "max": MAX_STEP_HOURS}
                )
    if specs[0].owner != StepOwner.RECEIVING:
        errors.append(_gettext("Bước 1 phải là bộ phận một cửa nơi tiếp nhận hồ sơ."))
    returning = [n for n, s in enumerate(specs, start=1) if s.returns]
    if returning != [len(specs)]:
        errors.append(_gettext("Chỉ bước cuối cùng là bước trả kết quả (đánh dấu “trả kết quả”)."))
    errors.extend(_loop_errors(specs, version.implementing_agency_id))
    if errors:
        raise ValidationError(errors)
    return specs


def _loop_errors(specs: list[StepSpec], implementing_id: int | None) -> list[str]:
    errors: list[str] = []
    seen: dict[tuple, int] = {}
    last = len(specs)
    for number, spec in enumerate(specs, start=1):
        key = spec.key(implementing_id)
        previous = specs[number - 2].key(implementing_id) if number > 1 else None
        if key == previous:
            errors.append(
                _gettext("Bước %(a)d và %(b)d: cùng một cơ quan hai lần liên tiếp (vòng lặp).")
                % {"a": number - 1, "b": number}
            )
        elif key in seen and not (
            key == (StepOwner.RECEIVING,) and seen[key] == 1 and number == last
        ):
            errors.append(
                _gettext(
                    "Bước %(b)d quay lại cơ quan của bước %(a)d: quy trình có vòng lặp chuyển qua "
                    "lại."
                )
                % {"a": seen[key], "b": number}
            )
        seen.setdefault(key, number)
    return errors


@transaction.atomic
def save_path(version, steps: Iterable[StepSpec | Mapping], actor=None, note: str = ""):
    """Validate and store the path of ``version`` (replacing its steps)."""
    specs = validate_steps(version, steps)
    path, _created = ProcessingPath.objects.select_for_update().get_or_create(version=version)
    path.note = note
    path.updated_by = actor if getattr(actor, "pk", None) else None
    path.save()
    path.steps.all().delete()
    ProcessingStep.objects.bulk_create(
        ProcessingStep(
            path=path,
            position=number,
            name=spec.name,
            owner=spec.owner,
            agency_id=spec.agency_id if spec.owner == StepOwner.AGENCY else None,
            level=spec.level if spec.owner == StepOwner.LEVEL else "",
            agency_kind=spec.kind if spec.owner == StepOwner.LEVEL else "",
            hours=spec.budget,
            returns_result=spec.returns,
        )
        for number, spec in enumerate(specs, start=1)
    )
    return path
