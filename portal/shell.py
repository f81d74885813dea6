"""The page around already-rendered content (the "shell"), rendered once per layout and reused.

``base.html`` costs about a millisecond of Python on every request (twenty translated strings,
the menus, the language switch): as much as the rest of a page whose content comes from the
cache. Yet for a given template, language and kind of visitor it differs only in a few
per-request values: the CSRF token, the signed-in user's name, the current path (the language
switch's ``next``), the header search's ``q``, and the content itself.

So the page is rendered once with a marker in place of each of those values, split at the
markers and kept in this process (it depends on templates, translations and settings only,
which change with a deployment, i.e. a new process). Each request joins the pieces with its own
values, escaped as the template would escape them. The markers are replaced in one pass over
the shell's pieces, so a value that happens to contain a marker is never expanded.

A request with messages to show is rendered in full (messages are rare and per user).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from portal.permissions import grants_for

_MARKER = "__motcua_shell_{}_5f0c2e__"
_SPLIT = re.compile(r"__motcua_shell_(csrf|user|path|q|content)_5f0c2e__")
_MAX_SHELLS = 512
_shells: dict[tuple, list[str]] = {}


def _marker(name: str) -> str:
    return _MARKER.format(name)


class _ShellUser:
    """Stands for the signed-in user while the shell is rendered: only what base.html reads."""

    is_authenticated = True
    is_anonymous = False

    def get_full_name(self) -> str:
        return _marker("user")


class _ShellRequest:
    """Stands for the request while the shell is rendered: only what base.html reads."""

    def __init__(self) -> None:
        self.GET = {"q": _marker("q")}

    def get_full_path(self) -> str:
        return _marker("path")


def _shell(request: HttpRequest, template_name: str, context: dict, variant: str) -> list[str]:
    staff = grants_for(request.user).is_staff_member
    key = (template_name, get_language(), staff, variant)
    pieces = _shells.get(key)
    if pieces is None:
        page = render(
            request,
            template_name,
            {
                **context,
                "content": mark_safe(_marker("content")),  # nosec B308 B703 - a constant
                "csrf_token": _marker("csrf"),
                "user": _ShellUser(),
                "request": _ShellRequest(),
            },
        )
        pieces = _SPLIT.split(page.content.decode())
        if len(_shells) >= _MAX_SHELLS:
            _shells.clear()
        _shells[key] = pieces
    return pieces


def render_in_shell(
    request: HttpRequest,
    template_name: str,
    context: dict[str, Any],
    content: str,
    *,
    variant: str = "",
    status: int = 200,
) -> HttpResponse:
    """``render(request, template_name, {**context, "content": content})`` for a signed-in
    user, with the layout reused. ``template_name`` must output ``{{ content }}`` and may read
    nothing per request besides what base.html reads; ``variant`` must name everything else
    of ``context`` that changes the page (e.g. the tab shown in the title)."""
    if not request.user.is_authenticated or len(messages.get_messages(request)):
        return render(request, template_name, {**context, "content": content}, status=status)
    values = {
        "csrf": get_token(request),
        "user": escape(request.user.get_full_name()),
        "path": escape(request.get_full_path()),
        "q": escape(request.GET.get("q") or ""),
        "content": str(content),
    }
    pieces = _shell(request, template_name, context, variant)
    body = "".join(values[p] if i % 2 else p for i, p in enumerate(pieces))
    return HttpResponse(body, status=status)


def forget_shells(**kwargs) -> None:
    """Drop the shells of this process (a test changed settings)."""
    _shells.clear()


setting_changed.connect(forget_shells, dispatch_uid="portal.shell")
