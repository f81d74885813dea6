"""Visit every page of the matrix as one actor: the pages that actor may open (answer 200 by the
rule in ``matrix.py``), so new pages are covered as soon as they are classified."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from tests.security.conftest import World
from tests.security.matrix import ROUTES, Probe, Route


def page_probes(actor: str) -> Iterator[tuple[Route, Probe]]:
    for route in ROUTES:
        if route.api:
            continue
        for probe in route.probes:
            if probe.method == "GET" and probe.expect[actor] == 200:
                yield route, probe


def page_url(world: World, route: Route, probe: Probe) -> str:
    url = reverse(route.name, kwargs=(probe.kwargs or route.kwargs)(world))
    query = probe.query_for(world)
    return url + (f"?{query}" if query else "")


def crawl(world: World, actor: str, client=None) -> Iterator[tuple[str, object]]:
    """(url, response) of every page ``actor`` may open."""
    client = client or world.client(actor)
    for route, probe in page_probes(actor):
        url = page_url(world, route, probe)
        yield url, client.get(url)
