"""Sign-in throttling shared by several app servers through Redis (RATELIMIT_STORAGE_URI)."""

import os
import uuid

import pytest

from tests.conftest import make_app

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        message = f"shared throttling not tested: no Redis at {REDIS} (set TEST_REDIS_URL)"
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)


def test_two_servers_share_the_per_account_limit(engine, session, accounts):
    _redis_or_skip()
    import redis

    prefix = uuid.uuid4().hex
    config = {"RATELIMIT_STORAGE_URI": REDIS, "RATELIMIT_KEY_PREFIX": prefix}
    server_one = make_app(engine, session, **config).test_client()
    server_two = make_app(engine, session, **config).test_client()
    wrong = {"username": "rt001.rw001.wonorejo", "password": "not-the-password"}
    for _ in range(5):
        assert server_one.post("/masuk", data=wrong).status_code == 200
    # The counters live in Redis, where every app server reads them (not in this process).
    store = redis.Redis.from_url(REDIS)
    keys = [key.decode() for key in store.scan_iter(f"*{prefix}*")]
    assert any("account:rt001.rw001.wonorejo" in key for key in keys), keys
    right = {"username": "rt001.rw001.wonorejo", "password": "ketuart-demo-2026"}
    assert server_two.post("/masuk", data=right).status_code == 429
    for key in keys:
        store.delete(key)
