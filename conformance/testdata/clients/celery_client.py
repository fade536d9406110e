"""Celery against a Redis-compatible server, as an application uses it.

Usage: /usr/bin/python3 celery_client.py HOST:PORT [--results-only | --restore-mutex-held]

By default the broker is database 0 and the result backend database 1 of
the server: the script starts a real worker (`python3 -m celery -A
celery_client worker --pool=solo`) as a subprocess, sends tasks with
.delay() and .apply_async(), waits for their results through the Redis
result backend, then stops the worker with a warm shutdown (SIGTERM).

With --results-only the server is only the result backend, as in
deployments whose broker is RabbitMQ: the broker is kombu's in-process
memory transport and the worker runs embedded in this process
(celery.contrib.testing.worker.start_worker).

With --restore-mutex-held the script first takes kombu's "unacked_mutex"
key, as another worker would hold it. The worker then skips restoring
unacknowledged messages, the one step of the Redis broker that runs Lua
(the mutex's release is redis-py's Lock, an EVALSHA), so the rest of the
broker can be tested on a server without Lua.

Exit status: 0 when every step worked; 3 when the server answered a command
Celery needs with "unknown command" (the commands are printed on lines
starting with "UNKNOWN-COMMAND "); 1 for any other failure.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import celery.exceptions
import redis
from celery import Celery, chord, group

ADDR = os.environ.get("CELERY_STRATA_ADDR") or sys.argv[1]
RESULTS_ONLY = "--results-only" in sys.argv
RESTORE_MUTEX_HELD = "--restore-mutex-held" in sys.argv

app = Celery(
    "celery_client",
    broker="memory://" if RESULTS_ONLY else "redis://%s/0" % ADDR,
    backend="redis://%s/1" % ADDR,
)
app.conf.update(
    result_expires=600,
    broker_connection_retry_on_startup=False,
    broker_connection_max_retries=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # The memory transport polls; the default second would dominate.
    broker_transport_options={"polling_interval": 0.05} if RESULTS_ONLY else {},
)


@app.task
def add(x, y):
    return x + y


@app.task
def total(values):
    return sum(values)


@app.task
def fail():
    raise ValueError("boom")


UNKNOWN = re.compile(r"unknown command '([^']+)'", re.I)


def unknown_commands(text):
    """The commands the server refused as unknown, in first-seen order."""
    seen = []
    for name in UNKNOWN.findall(text):
        name = name.lower()
        if name not in seen:
            seen.append(name)
    return seen


def start_worker():
    """Starts a worker process; its log goes to a file (worker.log), so a
    long log cannot fill a pipe and stall it."""
    here = os.path.dirname(os.path.abspath(__file__))
    env = dict(os.environ, CELERY_STRATA_ADDR=ADDR, PYTHONPATH=here)
    log = tempfile.TemporaryFile(mode="w+")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_client", "worker",
         "--pool=solo", "--concurrency=1", "--loglevel=INFO",
         "--hostname=strata-probe@%h"],
        cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT)
    worker.log = log
    return worker


def stop_worker(worker):
    """Warm shutdown; returns the worker's log."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=15)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    worker.log.seek(0)
    return worker.log.read()


def result_of(res, worker, timeout=20):
    """res.get(), but failing at once when the worker process has exited
    (it does on an unrecoverable error) rather than after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return res.get(timeout=0.5)
        except celery.exceptions.TimeoutError:
            if worker is not None and worker.poll() is not None:
                raise RuntimeError("the worker exited with status %d" % worker.returncode)
            if time.monotonic() > deadline:
                raise


def run(worker=None):
    r = add.delay(2, 3)
    assert result_of(r, worker) == 5, r.result
    assert r.successful() and r.state == "SUCCESS"

    r2 = add.apply_async((40, 2), countdown=0)
    assert result_of(r2, worker) == 42

    f = fail.delay()
    try:
        result_of(f, worker)
        raise AssertionError("failing task did not raise")
    except ValueError as e:
        assert str(e) == "boom", e
    assert f.state == "FAILURE"

    # A group, and a chord: the Redis backend counts the chord's parts
    # and runs its callback when the last one is stored.
    g = group(add.s(i, i) for i in range(4)).apply_async()
    assert g.get(timeout=20) == [0, 2, 4, 6], g.results
    c = chord(add.s(i, 1) for i in range(3))(total.s())
    assert result_of(c, worker) == 6

    # The result survives in the backend: a fresh AsyncResult reads it.
    again = app.AsyncResult(r.id)
    assert again.get(timeout=5) == 5
    again.forget()
    print("celery: delay/get, apply_async, failure propagation, group, chord, forget: ok")


def main():
    if RESULTS_ONLY:
        from celery.contrib.testing.worker import start_worker as embedded
        try:
            with embedded(app, pool="solo", perform_ping_check=False):
                run()
        except Exception:
            failure = traceback.format_exc()
            print(failure)
            return report_unknown(failure)
        return 0
    if RESTORE_MUTEX_HELD:
        # kombu's default unacked_mutex_key, held well past the run.
        redis.Redis.from_url(app.conf.broker_url).set("unacked_mutex", "held-by-another-worker", px=120000)
    worker = start_worker()
    failure = None
    try:
        run(worker)
    except Exception:  # reported below with the worker's log
        failure = traceback.format_exc()
    log = stop_worker(worker)
    if failure is None:
        print("worker exited with", worker.returncode)
        if worker.returncode != 0:
            print(log)
            return 1
        return 0
    print(failure)
    print("---- worker log ----")
    print(log)
    return report_unknown(failure + log)


def report_unknown(text):
    """Prints the commands the server refused as unknown and returns the
    exit status: 3 when there are some, else 1."""
    missing = unknown_commands(text)
    for name in missing:
        print("UNKNOWN-COMMAND " + name)
    return 3 if missing else 1


if __name__ == "__main__":
    sys.exit(main())
