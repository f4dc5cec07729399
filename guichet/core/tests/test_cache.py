"""The Redis cache backend (a Redis server runs at 127.0.0.1:6379 on the development machines
and in CI; the test is skipped elsewhere)."""

import socket
import uuid

import pytest

from guichet.core.cache import PooledRedisCache

REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_is_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_is_running(), reason="needs Redis at 127.0.0.1:6379")
def test_one_client_serves_every_call():
    cache = PooledRedisCache(REDIS_URL, {})
    key = f"guichet-test-{uuid.uuid4()}"
    assert cache.add(key, {"seats": 3}, 30)
    assert not cache.add(key, {"seats": 4}, 30)
    assert cache.get(key) == {"seats": 3}
    cache.add(f"{key}-n", 0, 30)
    assert cache.incr(f"{key}-n") == 1  # what the rate limit does
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.delete_many([key, f"{key}-n"])
    assert cache.get(key) is None
