"""WeasyPrint fetches nothing but the portal's own static files (and data: URLs): no request
leaves the machine whatever a template or a citizen's text contains (no SSRF)."""

import socket
from pathlib import Path

import pytest
from django.conf import settings

from dossiers.documents.rendering import RefusedURL, StaticOnlyFetcher, html_to_pdf
from tests.dossiers.documents.factories import pdf_reader, pdf_text

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every attempt to open a connection."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8000.evil.example/static/css/portal.css",
        "http://localhost:8000/static/css/portal.css",  # another host name than the portal's
        "https://127.0.0.1:8000/static/css/portal.css",  # another scheme
        "file:///etc/passwd",
        f"file://{Path(settings.BASE_DIR) / 'portal' / 'settings.py'}",
        f"{BASE}/static/../portal/settings.py",
        f"{BASE}/static/css/../../portal/settings.py",
        f"{BASE}/admin/",
        f"{BASE}/static//etc/passwd",
        f"{BASE}/static/%2e%2e/portal/settings.py",
        f"{BASE}/static/",
        "ftp://example.com/x",
        "gopher://127.0.0.1:6379/_FLUSHALL",
    ],
)
def test_refused_urls(url, no_network):
    with pytest.raises(RefusedURL):
        StaticOnlyFetcher().fetch(url)
    assert no_network == []


def test_static_files_and_data_urls_are_served(no_network):
    fetcher = StaticOnlyFetcher()
    css = Path(settings.BASE_DIR) / "static" / "css" / "documents-pdf.css"
    response = fetcher.fetch(f"{BASE}/static/css/documents-pdf.css")
    assert response.read() == css.read_bytes()
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()
    assert fetcher.fetch("data:text/plain;base64,eGlu").read() == b"xin"
    assert no_network == []


def test_rendering_hostile_html_makes_no_request(no_network):
    html = """<html><head>
      <link rel="stylesheet" href="https://evil.example/x.css">
      <style>@import url("http://169.254.169.254/a.css");
        body { background: url(file:///etc/passwd) }</style>
    </head><body>
      <p>Xin chào Đặng Văn Khoa</p>
      <img src="http://169.254.169.254/latest/meta-data/iam">
      <img src="file:///etc/hostname">
      <iframe src="http://example.com/"></iframe>
      <object data="http://example.com/x.svg"></object>
    </body></html>"""
    pdf = html_to_pdf(html)
    assert "Xin chào Đặng Văn Khoa" in pdf_text(pdf.content)
    assert no_network == []
    page = pdf_reader(pdf.content).pages[0]
    xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
    assert all(x.get_object().get("/Subtype") != "/Image" for x in xobjects.values())
