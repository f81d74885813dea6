"""The sandboxed template engine of the official forms.

Template bodies are edited by administrators and stored in the database, so they are rendered
by a separate ``Engine`` whose only builtins are this module's library: Django's default tags
and filters minus those that turn escaping off or reach outside (``autoescape``, ``safe``,
``safeseq``, ``load``, ``debug``, ``url``, ``csrf_token``, ``pprint``), plus the Vietnamese
date filters below. A file loader sees only ``templates/documents/forms`` (the forms' own
includes: national header, signature blocks, page shell). What the templates see is plain data
(dicts, strings, dates) built by ``context.py`` — never model instances — so a template cannot
call methods on the database, and citizens' text is always escaped.

Dates follow Nghị định 30/2020/NĐ-CP: days below 10 and the months 1 and 2 take a leading zero
("ngày 05 tháng 02 năm 2026", "ngày 28 tháng 11 năm 2026").
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.template import (
    Context,
    Engine,
    Library,
    Template,
    defaultfilters,
    defaulttags,
    loader_tags,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.documents.forms_registry import forms_dir

register = Library()

#: Default tags and filters the sandbox leaves out.
BLOCKED_TAGS = frozenset({"autoescape", "load", "debug", "url", "csrf_token"})
BLOCKED_FILTERS = frozenset({"safe", "safeseq", "pprint"})

for _library in (defaulttags.register, loader_tags.register):
    register.tags.update(
        {name: tag for name, tag in _library.tags.items() if name not in BLOCKED_TAGS}
    )
register.filters.update(
    {
        name: function
        for name, function in defaultfilters.register.filters.items()
        if name not in BLOCKED_FILTERS
    }
)


def _local(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return value


def day_number(day: int) -> str:
    return f"{day:02d}"


def month_number(month: int) -> str:
    return f"{month:02d}" if month < 3 else str(month)


@register.filter(name="ngay")
def written_date(value) -> str:
    """``ngày 28 tháng 11 năm 2026`` (empty for no value)."""
    value = _local(value)
    if not isinstance(value, datetime.date):
        return ""
    return f"ngày {day_number(value.day)} tháng {month_number(value.month)} năm {value.year}"


@register.filter(name="gio")
def written_time(value) -> str:
    """``08 giờ 30 phút``."""
    value = _local(value)
    if not isinstance(value, datetime.datetime):
        return ""
    return f"{value.hour:02d} giờ {value.minute:02d} phút"


@register.filter(name="gio_ngay")
def written_moment(value) -> str:
    """``08 giờ 30 phút, ngày 03 tháng 3 năm 2025``."""
    if not isinstance(value, datetime.datetime):
        return written_date(value)
    return f"{written_time(value)}, {written_date(value)}"


@register.filter(name="ngay_so")
def numeric_date(value) -> str:
    """``03/03/2025``."""
    value = _local(value)
    if not isinstance(value, datetime.date):
        return ""
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


@register.filter(name="ngay_gio_so")
def numeric_moment(value) -> str:
    """``08:30 03/03/2025``."""
    value = _local(value)
    if not isinstance(value, datetime.datetime):
        return numeric_date(value)
    return f"{value.hour:02d}:{value.minute:02d} {numeric_date(value)}"


@register.filter(name="so2")
def two_digits(value) -> str:
    """``1`` → ``01`` (counts of papers and sets on the forms)."""
    try:
        return f"{int(value):02d}"
    except (TypeError, ValueError):
        return ""


@register.filter(name="vnd")
def vnd(value) -> str:
    """``1500000`` → ``1.500.000 đồng``."""
    try:
        amount = int(Decimal(str(value)))
    except (ArithmeticError, TypeError, ValueError):
        return ""
    return f"{amount:,}".replace(",", ".") + " đồng"


def place_and_date(place: str, on: datetime.date) -> str:
    """``Đà Lạt, ngày 28 tháng 11 năm 2026``."""
    return f"{place}, {written_date(on)}" if place else written_date(on).capitalize()


class SandboxEngine(Engine):
    #: Nothing implicit: the only builtins are this module's library.
    default_builtins: list[str] = []


@functools.lru_cache(maxsize=1)
def engine() -> Engine:
    return SandboxEngine(
        dirs=[str(forms_dir())],
        app_dirs=False,
        autoescape=True,
        libraries={},
        builtins=["dossiers.documents.sandbox"],
        string_if_invalid="",
        loaders=[
            ("django.template.loaders.cached.Loader", ["django.template.loaders.filesystem.Loader"])
        ],
    )


@functools.lru_cache(maxsize=64)
def _compiled(digest: str, source: str) -> Template:
    return engine().from_string(source)


def compile_body(source: str) -> Template:
    """The compiled template (cached by content); TemplateSyntaxError when it does not parse."""
    return _compiled(hashlib.sha256(source.encode("utf-8")).hexdigest(), source)


def check_body(source: str) -> None:
    """Django ``ValidationError`` (Vietnamese) when ``source`` is not a usable template:
    a syntax error, an unknown tag or filter, ``{% load %}`` of any library, an include
    outside the forms' own files."""
    try:
        # A trial render with no data also catches includes that do not exist.
        compile_body(source).render(Context({}, autoescape=True))
    except Exception as exc:  # syntax, unknown tag/filter/include, unresolvable relative path
        raise ValidationError(
            _("Mẫu không hợp lệ: %(error)s") % {"error": exc}, code="template"
        ) from exc


def render_body(source: str, context: dict) -> str:
    """Render ``source`` with ``context`` in the sandbox (autoescaped HTML)."""
    return compile_body(source).render(Context(context, autoescape=True))


def render_file(name: str, context: dict) -> str:
    """Render one of the forms' own files (the page shell) in the sandbox."""
    return engine().get_template(name).render(Context(context, autoescape=True))
