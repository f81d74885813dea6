"""Posting a signed JSON event to a webhook over HTTP, as the sandbox carriers do.

The postal and payment sandboxes play an outside system that calls our own webhook; both need
the same small HTTP client: a scheme check, a timeout, the response status and the first
2,000 characters of its body, and one error type when the server cannot be reached.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable

#: ``send(body, headers) -> (http_status, response_text)``
Sender = Callable[[bytes, dict], tuple[int, str]]


def json_poster(target: str, *, timeout: float, error: type[Exception]) -> Sender:
    """A sender POSTing JSON bodies to ``target``; unreachable servers raise ``error``."""
    if not target.startswith(("http://", "https://")):
        raise error(f"Webhook URL must be http(s): {target!r}")

    def send(body: bytes, headers: dict) -> tuple[int, str]:
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            target,
            data=body,
            method="POST",
            headers={**headers, "Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read(2000).decode("utf-8", "replace")
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise error(f"Cannot reach {target}: {exc}") from exc

    return send
