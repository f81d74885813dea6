"""Download of a dossier's files: only for users who may see the dossier (``visible_to``), by an
unguessable key (the random part of the stored name, never a sequential id), streamed from the
private storage through Django's storage API, always as a download."""

from __future__ import annotations

import logging
import re

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from dossiers.attachments import open_attachment, sanitize_filename
from dossiers.models import Attachment, Dossier
from dossiers.views.common import attachment_token, valid_code

logger = logging.getLogger(__name__)
TOKEN = re.compile(r"^[A-Za-z0-9_\-]{16,100}$")


@require_safe
def download(request: HttpRequest, code: str, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not valid_code(code) or not TOKEN.match(token):
        raise Http404
    dossier = Dossier.objects.visible_to(request.user).filter(code=code).only("pk").first()
    if dossier is None:
        raise Http404
    candidates = Attachment.objects.filter(dossier=dossier, storage_name__contains=token)
    attachment = next((a for a in candidates if attachment_token(a) == token), None)
    if attachment is None:
        raise Http404
    try:
        stream = open_attachment(attachment)
    except (FileNotFoundError, OSError) as exc:
        logger.error("Stored file missing for attachment %s", attachment.pk)
        raise Http404 from exc
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=sanitize_filename(attachment.original_name),
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
