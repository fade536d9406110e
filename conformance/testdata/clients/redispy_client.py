"""redis-py against a Redis-compatible server, as an application uses it.

Usage: /usr/bin/python3 redispy_client.py HOST:PORT

Runs on an empty server (the caller flushes it). Every step checks the
reply redis-py hands back, so a reply that differs from Redis's in type or
text fails here the way it would fail an application. RESP3 runs too when
the installed redis-py supports protocol=3 (5.0 and later).

Exit status: 0 when every step passed; 1 with a traceback otherwise.
"""

import inspect
import sys
import threading
import time

import redis

HOST, PORT = sys.argv[1].rsplit(":", 1)
PORT = int(PORT)


def eq(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def error_text(fn, *args, **kwargs):
    """The text of the ResponseError fn raises."""
    try:
        fn(*args, **kwargs)
    except redis.exceptions.ResponseError as e:
        return str(e)
    raise AssertionError("%s%r raised no ResponseError" % (fn.__name__, args))


def strings(r):
    eq(r.ping(), True, "PING")
    eq(r.echo("hi"), "hi", "ECHO")
    eq(r.set("k", "v"), True, "SET")
    eq(r.get("k"), "v", "GET")
    eq(r.get("missing"), None, "GET missing")
    eq(r.set("k", "v2", nx=True), None, "SET NX on existing")
    eq(r.set("nx", "1", nx=True), True, "SET NX on missing")
    eq(r.set("absent", "1", xx=True), None, "SET XX on missing")
    eq(r.set("k", "v3", get=True), "v", "SET GET")
    eq(r.set("ex", "1", ex=100), True, "SET EX")
    ttl = r.ttl("ex")
    assert 99 <= ttl <= 100, ttl
    eq(r.set("px", "1", px=100000), True, "SET PX")
    pttl = r.pttl("px")
    assert 99000 <= pttl <= 100000, pttl
    eq(r.set("ex", "2", keepttl=True), True, "SET KEEPTTL")
    assert r.ttl("ex") > 0
    eq(r.setex("se", 50, "x"), True, "SETEX")
    eq(r.psetex("pse", 50000, "x"), True, "PSETEX")
    eq(r.setnx("k", "x"), False, "SETNX existing")
    eq(r.getset("k", "v4"), "v3", "GETSET")
    eq(r.getdel("nx"), "1", "GETDEL")
    eq(r.getex("k", ex=30), "v4", "GETEX EX")
    assert 0 < r.ttl("k") <= 30
    eq(r.getex("k", persist=True), "v4", "GETEX PERSIST")
    eq(r.ttl("k"), -1, "TTL after PERSIST")
    eq(r.mset({"a": "1", "b": "2", "c": "3"}), True, "MSET")
    eq(r.mget("a", "b", "missing", "c"), ["1", "2", None, "3"], "MGET")
    eq(r.msetnx({"a": "9", "z": "9"}), False, "MSETNX")
    eq(r.append("a", "23"), 3, "APPEND")
    eq(r.strlen("a"), 3, "STRLEN")
    eq(r.getrange("a", 1, -1), "23", "GETRANGE")
    eq(r.setrange("a", 1, "xy"), 3, "SETRANGE")
    eq(r.incr("n"), 1, "INCR")
    eq(r.incrby("n", 41), 42, "INCRBY")
    eq(r.decr("n"), 41, "DECR")
    eq(r.decrby("n", 40), 1, "DECRBY")
    eq(r.incrbyfloat("f", 1.5), 1.5, "INCRBYFLOAT")
    eq(r.incrbyfloat("f", "2.25"), 3.75, "INCRBYFLOAT again")
    eq(r.get("f"), "3.75", "GET float")
    eq(r.lcs("a", "b"), "", "LCS")


def keys_and_expiry(r):
    eq(r.exists("a", "b", "missing"), 2, "EXISTS")
    eq(r.type("a"), "string", "TYPE")
    eq(r.type("missing"), "none", "TYPE missing")
    eq(r.expire("a", 100), True, "EXPIRE")
    eq(r.expire("missing", 100), False, "EXPIRE missing")
    eq(r.expire("a", 50, gt=True), False, "EXPIRE GT")
    eq(r.expire("a", 50, lt=True), True, "EXPIRE LT")
    assert 0 < r.ttl("a") <= 50
    eq(r.pexpire("b", 100000), True, "PEXPIRE")
    eq(r.expireat("c", int(time.time()) + 100), True, "EXPIREAT")
    assert r.expiretime("c") > time.time()
    eq(r.persist("a"), True, "PERSIST")
    eq(r.persist("a"), False, "PERSIST again")
    eq(r.ttl("a"), -1, "TTL persistent")
    eq(r.ttl("missing"), -2, "TTL missing")
    eq(r.rename("a", "a2"), True, "RENAME")
    eq(r.renamenx("a2", "b"), False, "RENAMENX")
    eq(r.copy("a2", "a3"), True, "COPY")
    eq(r.touch("a2", "a3", "missing"), 2, "TOUCH")
    eq(r.delete("a3", "missing"), 1, "DEL")
    eq(r.unlink("a2"), 1, "UNLINK")
    eq(r.object("encoding", "n"), "int", "OBJECT ENCODING")

    with r.pipeline(transaction=False) as p:
        for i in range(250):
            p.set("scan:%d" % i, i)
        p.execute()
    found = set(r.scan_iter(match="scan:*", count=20))
    eq(len(found), 250, "scan_iter MATCH")
    eq(set(r.scan_iter(match="scan:1?", _type="string")),
       {"scan:%d" % i for i in range(10, 20)}, "scan_iter TYPE")
    eq(sorted(r.keys("scan:2?")), sorted("scan:%d" % i for i in range(20, 30)), "KEYS")
    assert r.randomkey() is not None
    eq(r.dbsize(), len(r.keys("*")), "DBSIZE")


def pipelines(r):
    with r.pipeline(transaction=True) as p:
        p.set("tx", 1).incr("tx").get("tx").ttl("tx")
        eq(p.execute(), [True, 2, "2", -1], "MULTI/EXEC pipeline")
    with r.pipeline(transaction=False) as p:
        p.incr("plain").incr("plain").mget("plain", "tx")
        eq(p.execute(), [1, 2, ["2", "2"]], "plain pipeline")

    # An error inside EXEC fails only its own command.
    r.set("text", "abc")
    with r.pipeline(transaction=True) as p:
        p.set("t1", "x").incr("text").get("t1")
        res = p.execute(raise_on_error=False)
    eq(res[0], True, "EXEC result 0")
    assert isinstance(res[1], redis.exceptions.ResponseError), res[1]
    eq(str(res[1]), "value is not an integer or out of range", "EXEC error")
    eq(res[2], "x", "EXEC result 2")

    # Optimistic locking: WATCH, then a concurrent change aborts EXEC.
    r.set("balance", 100)
    with r.pipeline() as p:
        p.watch("balance")
        eq(int(p.get("balance")), 100, "GET under WATCH")
        r.set("balance", 50)  # another client
        p.multi()
        p.set("balance", 0)
        try:
            p.execute()
            raise AssertionError("EXEC after a watched change did not abort")
        except redis.exceptions.WatchError:
            pass
    eq(r.get("balance"), "50", "value after aborted EXEC")

    # r.transaction retries the function until EXEC succeeds.
    def double(pipe):
        v = int(pipe.get("balance"))
        pipe.multi()
        pipe.set("balance", v * 2)
    r.transaction(double, "balance")
    eq(r.get("balance"), "100", "transaction()")


def pubsub(r):
    p = r.pubsub()
    p.subscribe("news")
    eq(p.get_message(timeout=2),
       {"type": "subscribe", "pattern": None, "channel": "news", "data": 1}, "subscribe confirmation")
    p.psubscribe("ne*")
    eq(p.get_message(timeout=2)["type"], "psubscribe", "psubscribe confirmation")
    eq(r.pubsub_channels(), ["news"], "PUBSUB CHANNELS")
    eq(r.pubsub_numsub("news"), [("news", 1)], "PUBSUB NUMSUB")
    eq(r.pubsub_numpat(), 1, "PUBSUB NUMPAT")
    eq(r.publish("news", "hello"), 2, "PUBLISH receivers")
    got = [p.get_message(timeout=2), p.get_message(timeout=2)]
    got.sort(key=lambda m: m["type"])
    eq(got, [
        {"type": "message", "pattern": None, "channel": "news", "data": "hello"},
        {"type": "pmessage", "pattern": "ne*", "channel": "news", "data": "hello"},
    ], "messages")
    eq(p.get_message(timeout=0.1), None, "no further message")

    # A handler-driven subscriber in a thread, as applications run them.
    received = []
    done = threading.Event()

    def handler(msg):
        received.append(msg["data"])
        done.set()
    p2 = r.pubsub()
    p2.subscribe(**{"events": handler})
    t = p2.run_in_thread(sleep_time=0.05, daemon=True)
    for _ in range(100):
        if r.pubsub_numsub("events")[0][1] == 1:
            break
        time.sleep(0.02)
    r.publish("events", "e1")
    assert done.wait(5), "handler not called"
    eq(received, ["e1"], "run_in_thread handler")
    t.stop()
    t.join(5)
    p2.close()

    p.unsubscribe("news")
    p.punsubscribe("ne*")
    types = [p.get_message(timeout=2)["type"] for _ in range(2)]
    eq(sorted(types), ["punsubscribe", "unsubscribe"], "unsubscribe confirmations")
    p.close()


def pubsub_health_check():
    """With health_check_interval, redis-py PINGs a subscribed connection
    that was idle and expects the subscribed-mode reply to that PING (an
    array "pong", message), which it consumes without showing it."""
    r = redis.Redis(host=HOST, port=PORT, decode_responses=True, health_check_interval=0.1)
    p = r.pubsub()
    p.subscribe("hc")
    eq(p.get_message(timeout=2)["type"], "subscribe", "subscribe confirmation")
    time.sleep(0.2)  # past the interval: the next read checks health first
    eq(p.get_message(timeout=0.2), None, "health check reply consumed")
    r.publish("hc", "after")
    eq(p.get_message(timeout=2)["data"], "after", "message after health check")
    p.ping("hi")
    eq(p.get_message(timeout=2), {"type": "pong", "pattern": None, "channel": None, "data": "hi"},
       "PING in subscribed mode")
    p.close()
    r.close()


def server(r):
    eq(r.client_setname("strata-probe"), True, "CLIENT SETNAME")
    eq(r.client_getname(), "strata-probe", "CLIENT GETNAME")
    assert isinstance(r.client_id(), int)
    names = [c["name"] for c in r.client_list()]
    assert "strata-probe" in names, names
    info = r.info()
    assert info["redis_version"].startswith("7."), info["redis_version"]
    for field in ("redis_mode", "tcp_port", "connected_clients", "used_memory",
                  "keyspace_hits", "keyspace_misses", "uptime_in_seconds"):
        assert field in info, field
    eq(info["tcp_port"], PORT, "INFO tcp_port")
    ks = r.info("keyspace")
    eq(ks["db0"]["keys"], r.dbsize(), "INFO keyspace db0 keys")
    assert "used_memory_human" in r.info("memory")
    eq(r.config_get("maxmemory"), {"maxmemory": "0"}, "CONFIG GET maxmemory")
    eq(set(r.config_get("maxmemory*")) >= {"maxmemory", "maxmemory-policy"}, True, "CONFIG GET glob")
    eq(r.config_set("maxmemory-policy", "allkeys-lru"), True, "CONFIG SET")
    eq(r.config_get("maxmemory-policy"), {"maxmemory-policy": "allkeys-lru"}, "CONFIG GET after SET")
    r.config_set("maxmemory-policy", "noeviction")
    t = r.time()
    assert abs(t[0] - time.time()) < 5, t
    assert r.memory_usage("n") > 0
    eq(r.slowlog_len() >= 0, True, "SLOWLOG LEN")
    assert r.command_count() > 50

    # SELECT through the connection pool's db argument.
    r2 = redis.Redis(host=HOST, port=PORT, db=2, decode_responses=True)
    r2.set("only-in-2", "x")
    eq(r.exists("only-in-2"), 0, "db isolation")
    eq(r2.info("keyspace")["db2"]["keys"], 1, "INFO keyspace db2")
    eq(r2.flushdb(), True, "FLUSHDB db 2")
    eq(r2.dbsize(), 0, "DBSIZE after FLUSHDB")
    r2.close()


def errors(r):
    eq(error_text(r.execute_command, "GET"),
       "wrong number of arguments for 'get' command", "wrong arity")
    r.set("text", "abc")
    eq(error_text(r.incr, "text"), "value is not an integer or out of range", "INCR non-integer")
    eq(error_text(r.incrbyfloat, "text", 1), "value is not a valid float", "INCRBYFLOAT non-float")
    eq(error_text(r.expire, "text", "soon"), "value is not an integer or out of range", "EXPIRE non-integer")
    eq(error_text(r.set, "k", "v", ex=0), "invalid expire time in 'set' command", "SET EX 0")
    msg = error_text(r.execute_command, "NOSUCHCOMMAND", "x")
    assert msg.startswith("unknown command 'NOSUCHCOMMAND'"), msg
    eq(error_text(r.execute_command, "SELECT", 99), "DB index is out of range", "SELECT 99")
    eq(error_text(r.execute_command, "EXEC"), "EXEC without MULTI", "EXEC without MULTI")
    # The connection is still usable after errors.
    eq(r.ping(), True, "PING after errors")


def pool_across_threads():
    pool = redis.ConnectionPool(host=HOST, port=PORT, max_connections=8, decode_responses=True)
    r = redis.Redis(connection_pool=pool)
    failures = []

    def work(n):
        try:
            for i in range(100):
                r.incr("shared")
                r.set("t%d:%d" % (n, i), i)
                if r.get("t%d:%d" % (n, i)) != str(i):
                    failures.append((n, i))
        except Exception as e:  # surfaced below
            failures.append(e)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    eq(failures, [], "thread failures")
    eq(r.get("shared"), "800", "INCR across threads")
    assert pool._created_connections <= 8, pool._created_connections
    pool.disconnect()


def bytes_client():
    rb = redis.Redis(host=HOST, port=PORT, client_name="bytes-probe", health_check_interval=1)
    blob = bytes(range(256)) * 4
    eq(rb.set("blob", blob), True, "SET binary")
    eq(rb.get("blob"), blob, "GET binary")
    eq(rb.client_getname(), "bytes-probe", "client_name on connect")
    rb.close()


def resp3():
    """RESP3 through redis-py's protocol=3 (redis-py 5.0 and later)."""
    if "protocol" not in inspect.signature(redis.Redis.__init__).parameters:
        print("redis-py %s: protocol=3 not supported, RESP3 not run" % redis.__version__)
        return
    r3 = redis.Redis(host=HOST, port=PORT, protocol=3, decode_responses=True)
    eq(r3.set("r3", "1"), True, "RESP3 SET")
    eq(r3.incrbyfloat("r3", 0.5), 1.5, "RESP3 INCRBYFLOAT")
    assert r3.info()["redis_version"].startswith("7.")
    eq(r3.config_get("maxmemory"), {"maxmemory": "0"}, "RESP3 CONFIG GET")
    p = r3.pubsub()
    p.subscribe("r3ch")
    eq(p.get_message(timeout=2)["type"], "subscribe", "RESP3 subscribe")
    r3.publish("r3ch", "m")
    eq(p.get_message(timeout=2)["data"], "m", "RESP3 message")
    p.close()
    r3.close()
    print("RESP3: ok")


def main():
    r = redis.Redis(host=HOST, port=PORT, decode_responses=True)
    for step in (strings, keys_and_expiry, pipelines, pubsub, server, errors):
        step(r)
        print("%s: ok" % step.__name__)
    for step in (pubsub_health_check, pool_across_threads, bytes_client):
        step()
        print("%s: ok" % step.__name__)
    resp3()
    eq(r.flushdb(), True, "FLUSHDB")
    eq(r.dbsize(), 0, "DBSIZE after FLUSHDB")
    r.close()
    print("redis-py %s: ok" % redis.__version__)


if __name__ == "__main__":
    main()
