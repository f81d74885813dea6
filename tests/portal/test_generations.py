"""Generation tokens (portal/generations.py) on the real Redis cache of the test settings."""

import pytest
import redis
from django.core.cache import cache
from django.db import transaction

from portal import generations
from tests.redis_stats import redis_calls

KEYS = ["test:gen:a", "test:gen:b", "test:gen:c"]


def test_replace_gives_every_key_one_new_token_readable_through_the_cache():
    before = {key: generations.current(key) for key in KEYS}
    generations.replace(KEYS)
    after = cache.get_many(KEYS)
    assert set(after) == set(KEYS)
    assert len(set(after.values())) == 1  # one token for the whole change
    assert all(after[key] != before[key] for key in KEYS)
    assert generations.current(KEYS[0]) == after[KEYS[0]]


def test_replaced_tokens_never_expire():
    generations.replace(KEYS[:1])
    raw = cache.client.get_client()
    assert raw.ttl(cache.client.make_key(KEYS[0])) == -1


def test_replace_of_nothing_writes_nothing():
    generations.replace([])
    assert cache.get_many(KEYS) == {}


def test_a_cache_outage_is_ignored_like_the_cache_ignores_it(monkeypatch, caplog):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(cache.client, "get_client", lambda write=True: dead)
    generations.replace(KEYS)  # no exception: the lists expire by their own bounds
    assert "not replaced" in caplog.text


def test_a_cache_outage_raises_when_the_cache_does_not_ignore_errors(monkeypatch, settings):
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "OPTIONS": {"IGNORE_EXCEPTIONS": False}}
    }
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    monkeypatch.setattr(cache.client, "get_client", lambda write=True: dead)
    with pytest.raises(redis.exceptions.ConnectionError):
        generations.replace(KEYS)


def test_other_cache_backends_take_set_many(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    from django.core.cache import cache as local

    generations.replace(KEYS)
    values = local.get_many(KEYS)
    assert set(values) == set(KEYS) and len(set(values.values())) == 1


# --- replace_on_commit: one write per transaction ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_every_key_of_a_transaction_goes_into_one_write_at_its_commit():
    before = {key: generations.current(key) for key in KEYS}
    writes = redis_calls("mset", "set")
    with transaction.atomic():
        generations.replace_on_commit(KEYS[:2])
        generations.replace_on_commit(KEYS[1:])
        assert cache.get_many(KEYS) == before  # nothing before the commit
    assert redis_calls("mset", "set") == writes + 1
    after = cache.get_many(KEYS)
    assert all(after[key] != before[key] for key in KEYS)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_replaces_nothing_and_the_next_one_still_does():
    before = generations.current(KEYS[0])
    with pytest.raises(RuntimeError), transaction.atomic():
        generations.replace_on_commit(KEYS[:1])
        raise RuntimeError
    assert cache.get(KEYS[0]) == before
    with transaction.atomic():
        generations.replace_on_commit(KEYS[:1])
    assert cache.get(KEYS[0]) != before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_savepoint_does_not_lose_what_the_transaction_adds_later():
    before = generations.current(KEYS[1])
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            generations.replace_on_commit(KEYS[:1])
            raise RuntimeError
        generations.replace_on_commit(KEYS[1:2])
    assert cache.get(KEYS[1]) != before


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_keys_are_replaced_at_once():
    before = generations.current(KEYS[0])
    generations.replace_on_commit(KEYS[:1])
    assert cache.get(KEYS[0]) != before


@pytest.mark.django_db(transaction=True)
def test_consecutive_transactions_each_get_their_write():
    for _ in range(2):
        before = generations.current(KEYS[0])
        with transaction.atomic():
            generations.replace_on_commit(KEYS[:1])
        assert cache.get(KEYS[0]) != before


# --- read_together: one MGET for the keys a block reads once -------------------------------------


def test_read_together_serves_each_key_once_from_one_mget():
    cache.set_many({KEYS[0]: "a", KEYS[1]: "b"}, None)
    gets, mgets = redis_calls("get"), redis_calls("mget")
    with generations.read_together(KEYS):
        assert generations.read(KEYS[0]) == "a"
        assert generations.current(KEYS[1]) == "b"
        assert generations.read(KEYS[2]) is None  # missing: the caller creates it as usual
        assert redis_calls("get") == gets and redis_calls("mget") == mgets + 1
        cache.set(KEYS[0], "changed", None)
        assert generations.read(KEYS[0]) == "changed"  # a second read goes to the cache
    assert generations.read(KEYS[1]) == "b" and redis_calls("get") == gets + 2


def test_outside_a_block_read_is_the_cache():
    cache.set(KEYS[0], "x", None)
    assert generations.read(KEYS[0]) == "x"
