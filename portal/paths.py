"""``reverse()`` for the URLs every dossier answer repeats (its own, its files', its documents').

Django's ``reverse()`` walks the URL resolver and quotes the arguments on every call: about
40 µs, four or more times per dossier in an API answer and per row in a list. ``path_for``
gives the same path from a template made once per process for each (name, number of
arguments, URL conf, script prefix, language), when every argument is made of characters a
URL keeps as they are (codes like ``H36.39-261207-0001``, numeric ids); any other argument
goes through ``reverse()`` itself.
"""

from __future__ import annotations

import functools
import itertools
import re

from django.core.signals import setting_changed
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

#: What ``reverse()`` leaves unquoted and every converter in use here accepts as text.
_PLAIN = re.compile(r"[A-Za-z0-9._-]+")
#: Stand-ins for arguments: one accepted by text converters, one by ``int``.
_TEXT_MARK = "Zq{}MOTCUAPATHqZ"
_INT_MARK = "987654321{}987654321"


def path_for(viewname: str, *args: str | int) -> str:
    """``reverse(viewname, args=args)``."""
    if not all(_PLAIN.fullmatch(str(arg)) for arg in args):
        return reverse(viewname, args=args)
    template = _template(viewname, len(args), get_urlconf(), get_script_prefix(), get_language())
    if template is None:
        return reverse(viewname, args=args)
    return template.format(*args)


@functools.lru_cache(maxsize=256)
def _template(viewname: str, arity: int, urlconf, prefix: str, language: str | None) -> str | None:
    """The path with ``{0}``, ``{1}``… for the arguments (``None``: no template possible).
    The script prefix and the language are part of the key: ``reverse()`` depends on them."""
    for kinds in itertools.product((_TEXT_MARK, _INT_MARK), repeat=arity):
        marks = [kind.format(index) for index, kind in enumerate(kinds)]
        try:
            path = reverse(viewname, args=marks, urlconf=urlconf)
        except NoReverseMatch:
            continue
        template = path.replace("{", "{{").replace("}", "}}")
        for index, mark in enumerate(marks):
            if template.count(mark) != 1:
                return None
            template = template.replace(mark, f"{{{index}}}")
        return template
    return None


def _forget_templates(setting: str, **kwargs) -> None:
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _template.cache_clear()


setting_changed.connect(_forget_templates, dispatch_uid="portal.paths")
