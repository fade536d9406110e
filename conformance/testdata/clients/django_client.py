"""django-redis against a Redis-compatible server, as a Django site uses it.

Usage: /usr/bin/python3 django_client.py HOST:PORT

Configures Django in the script (no project needed): the default cache is
django_redis.cache.RedisCache on database 1, a second cache with its own
key prefix shares the database, and sessions are stored in the cache. Runs
on an empty server (the caller flushes it).

A feature the server cannot serve because it lacks a command (Lua scripts
for lock release) is reported on a line "UNKNOWN-COMMAND name" and the
remaining steps still run. Exit status: 0 when every other step passed; 1
with a traceback otherwise.
"""

import re
import sys
import time

import django
from django.conf import settings

ADDR = sys.argv[1]
settings.configure(
    CACHES={
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://%s/1" % ADDR,
            "TIMEOUT": 300,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        },
        "other": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://%s/1" % ADDR,
            "KEY_PREFIX": "other",
        },
    },
    SESSION_ENGINE="django.contrib.sessions.backends.cache",
    INSTALLED_APPS=["django.contrib.sessions"],
    USE_TZ=True,
)
django.setup()

from django.core.cache import cache, caches  # noqa: E402 (needs settings)
from django_redis import get_redis_connection  # noqa: E402
import redis  # noqa: E402

UNKNOWN = re.compile(r"unknown command '([^']+)'", re.I)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def has_lua():
    """Whether the server runs Lua: django-redis's incr/decr and lock
    release need it. Without it, UNKNOWN-COMMAND eval is reported."""
    try:
        get_redis_connection("default").eval("return 1", 0)
        return True
    except redis.exceptions.ResponseError as e:
        m = UNKNOWN.search(str(e))
        if not m:
            raise
        print("UNKNOWN-COMMAND " + m.group(1).lower())
        return False


def basic():
    eq(cache.set("greeting", "hello"), True, "set")
    eq(cache.get("greeting"), "hello", "get")
    eq(cache.get("missing", "dflt"), "dflt", "get default")
    eq(cache.set("obj", {"a": [1, 2], "b": None}, timeout=60), True, "set pickled")
    eq(cache.get("obj"), {"a": [1, 2], "b": None}, "get pickled")
    eq(cache.add("greeting", "other"), False, "add existing")
    eq(cache.add("fresh", "v"), True, "add new")
    eq(cache.get_or_set("gos", lambda: "computed"), "computed", "get_or_set")
    eq(cache.has_key("gos"), True, "has_key")
    eq(cache.delete("fresh"), True, "delete")
    eq(cache.delete("fresh"), False, "delete again")
    cache.set_many({"m1": 1, "m2": "two", "m3": [3]})
    eq(cache.get_many(["m1", "m2", "m3", "nope"]), {"m1": 1, "m2": "two", "m3": [3]}, "get_many")
    cache.delete_many(["m1", "m2"])
    eq(cache.get_many(["m1", "m2", "m3"]), {"m3": [3]}, "after delete_many")
    # None means "never expires"; 0 means "expire now" in Django.
    eq(cache.set("forever", 1, timeout=None), True, "set no timeout")
    eq(cache.ttl("forever"), None, "ttl persistent")
    eq(cache.set("gone", 1, timeout=0), False, "set timeout 0")
    eq(cache.get("gone"), None, "timeout 0 deletes")
    # Another prefix does not see these keys.
    eq(caches["other"].get("greeting"), None, "prefix isolation")
    caches["other"].set("greeting", "other")
    eq(cache.get("greeting"), "hello", "prefix isolation (2)")


def counters():
    cache.set("n", 10)
    eq(cache.incr("n"), 11, "incr")
    eq(cache.incr("n", 9), 20, "incr by")
    eq(cache.decr("n", 5), 15, "decr")
    eq(cache.get("n"), 15, "get counter")
    if has_lua():
        try:
            cache.incr("no-counter")
            raise AssertionError("incr of a missing key did not raise")
        except ValueError:
            pass
    else:
        # django-redis's fallback for servers without EVAL (TTL, GET, SET)
        # is not atomic, and for a missing key it raises TypeError instead
        # of Django's ValueError: not checked.
        print("GAP incr/decr: django-redis falls back to non-atomic TTL+GET+SET")
    eq(cache.incr_version("greeting"), 2, "incr_version")
    eq(cache.get("greeting", version=2), "hello", "get version 2")
    eq(cache.get("greeting"), None, "old version gone")


def expiry():
    cache.set("t", "v", timeout=100)
    ttl = cache.ttl("t")
    assert 99 <= ttl <= 100, ttl
    pttl = cache.pttl("t")
    assert 98000 <= pttl <= 100000, pttl
    eq(cache.touch("t", 500), True, "touch")
    assert 499 <= cache.ttl("t") <= 500
    eq(cache.touch("missing", 10), False, "touch missing")
    eq(cache.expire("t", 20), True, "expire")
    assert 19 <= cache.ttl("t") <= 20
    eq(cache.pexpire("t", 30000), True, "pexpire")
    assert 29 <= cache.ttl("t") <= 30
    eq(cache.persist("t"), True, "persist")
    eq(cache.ttl("t"), None, "ttl after persist")
    eq(cache.expire_at("t", int(time.time()) + 60) is not False, True, "expire_at")
    assert 58 <= cache.ttl("t") <= 60
    eq(cache.ttl("missing"), 0, "ttl missing")
    cache.set("short", 1, timeout=0.05)
    time.sleep(0.2)
    eq(cache.get("short"), None, "expired after timeout")


def patterns():
    for i in range(30):
        cache.set("user:%d" % i, i)
        cache.set("page:%d" % i, i)
    eq(sorted(cache.keys("user:1*")), sorted(["user:1"] + ["user:1%d" % i for i in range(10)]), "keys")
    eq(len(list(cache.iter_keys("page:*", itersize=7))), 30, "iter_keys")
    eq(cache.delete_pattern("user:*", itersize=10), 30, "delete_pattern")
    eq(cache.keys("user:*"), [], "keys after delete_pattern")
    eq(len(cache.keys("page:*")), 30, "other keys kept")


def raw_connection():
    r = get_redis_connection("default")
    eq(r.connection_pool.connection_kwargs["db"], 1, "LOCATION db")
    key = cache.make_key("greeting", version=2)
    eq(r.get(key) is not None, True, "raw key visible")
    eq(r.info("keyspace")["db1"]["keys"], r.dbsize(), "INFO keyspace db1")


def sessions():
    from django.contrib.sessions.backends.cache import SessionStore
    s = SessionStore()
    s["user_id"] = 42
    s["cart"] = ["book"]
    s.save()
    loaded = SessionStore(session_key=s.session_key)
    eq(loaded["user_id"], 42, "session load")
    eq(loaded.get_expiry_age() > 0, True, "session expiry")
    loaded.delete()
    eq(SessionStore(session_key=s.session_key).exists(s.session_key), False, "session deleted")


def lock():
    held = cache.lock("report", timeout=5)
    eq(held.acquire(blocking=False), True, "lock acquire")
    rival = cache.lock("report", timeout=5)
    eq(rival.acquire(blocking=False), False, "second acquire while held")
    try:
        held.release()
    except redis.exceptions.ResponseError as e:
        m = UNKNOWN.search(str(e))
        if not m:
            raise
        # The server has no Lua: release cannot run. Report and clean up.
        print("UNKNOWN-COMMAND " + m.group(1).lower())
        get_redis_connection("default").delete(cache.make_key("report"))
        return
    eq(rival.acquire(blocking=False), True, "acquire after release")
    rival.release()
    with cache.lock("ctx", timeout=5, blocking_timeout=2):
        pass
    print("lock: release through Lua ok")


def main():
    for step in (basic, counters, expiry, patterns, raw_connection, sessions, lock):
        step()
        print("%s: ok" % step.__name__)
    cache.clear()
    eq(get_redis_connection("default").dbsize(), 0, "clear")
    print("django %s, django-redis %s: ok" % (django.get_version(),
          ".".join(map(str, __import__("django_redis").VERSION))))


if __name__ == "__main__":
    main()
