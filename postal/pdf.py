"""PDF rendering of postal documents (the desk manifest) with WeasyPrint.

The fetcher serves only our own static files (found by Django's staticfiles finders, or from
``STATIC_ROOT``); any other URL — http(s), file:, data: — is refused, so a value printed in a
document can never make the server fetch something (no SSRF, no local file disclosure)."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

BASE_URL = "https://static.motcua.invalid/"


def _static_file(url: str) -> Path | None:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}/" != BASE_URL:
        return None
    path = unquote(parts.path)
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
    if not path.startswith(prefix):
        return None
    relative = path[len(prefix) :]
    if not relative or ".." in Path(relative).parts or relative.startswith("/"):
        return None
    found = finders.find(relative)
    if found:
        return Path(found)
    candidate = Path(settings.STATIC_ROOT) / relative
    return candidate if candidate.is_file() else None


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = _static_file(url)
            if path is None:
                raise ValueError(f"Refused to fetch {url[:200]!r}: only local static files.")
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()
