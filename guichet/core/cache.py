"""Django's Redis cache, with one redis-py client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, and redis-py fills a
table of response callbacks each time: that costs more than the command itself (about 0.15 ms a
call, several calls per public request). A client is thread-safe and only borrows connections
from its pool, so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
