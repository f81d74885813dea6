"""HTML → PDF with WeasyPrint, offline and with Vietnamese fonts.

* The URL fetcher serves only the portal's own static files (``/static/...`` under
  ``PORTAL_BASE_URL``, or ``file://`` inside the static directories) and ``data:`` URLs; any
  other URL — another host, ``file:///etc/...``, a cloud metadata address — is refused without
  a network call (no SSRF from a template or a citizen's text).
* Fonts come from the system: ``fonts-liberation2`` (Liberation Serif, Times New Roman metrics)
  with Noto Serif and DejaVu Serif behind it; ``scripts/install_system_packages.sh`` installs
  them. fontconfig prefers Liberation 2.x over the 1.x package (which lacks ư, ơ, ặ …).
* The font configuration and the stylesheet are built once per process and reused: that is
  most of the speed of a one-page receipt.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from dossiers.documents.context import base_url
from dossiers.documents.sandbox import render_body, render_file

PDF_STYLESHEET = "css/documents-pdf.css"


class RefusedURL(ValueError):
    """The fetcher does not serve this URL (only local static files and data: URLs)."""


def _static_roots() -> list[Path]:
    roots = [Path(p).resolve() for p in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or root in path.parents for root in roots)


def static_file_for(url: str) -> Path:
    """The local file a URL may be served from, else RefusedURL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if _inside(path, _static_roots()) and path.is_file():
            return path
        raise RefusedURL(f"file outside the static directories: {url}")
    if scheme not in {"http", "https"}:
        raise RefusedURL(f"scheme not served: {url}")
    own = urlsplit(base_url())
    if (parts.scheme.lower(), parts.netloc.lower()) != (own.scheme.lower(), own.netloc.lower()):
        raise RefusedURL(f"external URL: {url}")
    static_url = str(settings.STATIC_URL or "/static/")
    path = unquote(parts.path)
    relative = path[len(static_url) :]
    if (
        not path.startswith(static_url)
        or not relative
        or relative.startswith("/")
        or ".." in relative.split("/")
        or "\\" in relative
        or "\x00" in relative
    ):
        raise RefusedURL(f"not a static file: {url}")
    found = finders.find(relative)
    if not found:
        roots = [Path(settings.STATIC_ROOT).resolve()] if settings.STATIC_ROOT else []
        candidate = (roots[0] / relative).resolve() if roots else None
        if candidate is None or not _inside(candidate, roots) or not candidate.is_file():
            raise RefusedURL(f"no such static file: {url}")
        found = str(candidate)
    return Path(found)


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint URL fetcher that never touches the network (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__(timeout=2, allowed_protocols={"data", "file", "http", "https"})

    def fetch(self, url, headers=None):
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)
        path = static_file_for(url)
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {}, 200)


@functools.lru_cache(maxsize=1)
def font_config() -> FontConfiguration:
    return FontConfiguration()


@functools.lru_cache(maxsize=1)
def stylesheet() -> CSS:
    path = finders.find(PDF_STYLESHEET)
    if not path:  # collected static files only (production without the source tree)
        path = str(Path(settings.STATIC_ROOT) / PDF_STYLESHEET)
    return CSS(
        string=Path(path).read_text(encoding="utf-8"),
        font_config=font_config(),
        url_fetcher=StaticOnlyFetcher(),
        base_url=f"{base_url()}/",
    )


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    pages: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def html_to_pdf(html: str) -> RenderedPdf:
    """Render an HTML document (already escaped) to PDF bytes."""
    document = HTML(
        string=unicodedata.normalize("NFC", html),
        base_url=f"{base_url()}/",
        url_fetcher=StaticOnlyFetcher(),
        media_type="print",
    ).render(stylesheets=[stylesheet()], font_config=font_config())
    return RenderedPdf(content=document.write_pdf(), pages=len(document.pages))


def render_form_html(source: str, context: dict) -> str:
    """The whole HTML page of a form: its body rendered in the sandbox, in the page shell."""
    body = render_body(source, context)
    return render_file(
        "_page.html",
        {"body": mark_safe(body), "form": context.get("form", {})},
    )


def render_form_pdf(source: str, context: dict) -> RenderedPdf:
    return html_to_pdf(render_form_html(source, context))
