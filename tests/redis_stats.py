"""Commands the test Redis server has executed, from its own counters (``INFO commandstats``)."""

from django.core.cache import cache


def redis_calls(*commands: str) -> int:
    """How many times the server ran these commands (lower case: ``"get"``, ``"mset"``)."""
    stats = cache.client.get_client().info("commandstats")
    return sum(stats.get(f"cmdstat_{command}", {}).get("calls", 0) for command in commands)
