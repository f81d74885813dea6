"""The HTTP client the postal and payment sandboxes use to call a webhook, against a real
HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dossiers.payments.gateways.base import GatewayError
from portal.webhooks import json_poster
from postal.carriers import CarrierError


class Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.received.append((self.path, dict(self.headers), body))
        status = 409 if self.path == "/refuse" else 200
        answer = json.dumps({"path": self.path}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    Recorder.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_posts_the_body_and_headers_as_json(server):
    send = json_poster(f"{server}/hook", timeout=5, error=CarrierError)
    status, text = send(b'{"a": 1}', {"X-Postal-Signature": "sha256=abc"})
    assert status == 200
    assert json.loads(text) == {"path": "/hook"}
    path, headers, body = Recorder.received[0]
    assert (path, body) == ("/hook", b'{"a": 1}')
    assert headers["X-Postal-Signature"] == "sha256=abc"
    assert headers["Content-Type"] == "application/json; charset=utf-8"


def test_an_error_status_is_returned_not_raised(server):
    status, text = json_poster(f"{server}/refuse", timeout=5, error=GatewayError)(b"{}", {})
    assert status == 409
    assert "/refuse" in text


def test_an_unreachable_server_raises_the_callers_error(server):
    closed = server.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens
    with pytest.raises(GatewayError, match="Cannot reach"):
        json_poster(closed, timeout=2, error=GatewayError)(b"{}", {})


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "/relative"])
def test_only_http_urls_are_accepted(url):
    with pytest.raises(CarrierError, match="http"):
        json_poster(url, timeout=1, error=CarrierError)
