"""gunicorn settings (`make serve`, or `gunicorn -c gunicorn.conf.py wsgi:app`).

Processes rather than threads: a request spends most of its time running Python, which one
process runs on one core at a time, so threads in a process queue behind each other (on the
2-core load test, 3 workers x 2 threads needed 7.0 ms of CPU per request, 3 x 1 thread 4.1 ms).

One worker per core and one more, to keep the cores busy while a worker waits on PostgreSQL.
More workers cost CPU rather than add throughput: each switch between processes finds the
caches of the core holding another process's Python. On the 2-core load test (make load,
README Performance), per request served: 2 workers 4.8 ms of app CPU (and a core idle
waiting 15 % of the time), 3 workers 4.1 ms, 4 workers 4.7 ms, 8 workers 6.8 ms. This
suits requests that wait only on PostgreSQL and Redis, as here with the sandbox payment
provider. A real provider's charge holds a worker for its whole round trip (often 0.3-1 s),
and with one worker per core that soon caps checkouts: there, give each worker threads
(GUNICORN_THREADS=4), which wait on the network side by side. Each setting can be
overridden by the environment variable named beside it.

Each worker listens on its own socket (SO_REUSEPORT), so the kernel spreads new connections
evenly over the workers. With one shared socket, whichever worker wakes first takes a new
connection, which favours the busiest ones; kept alive, those connections stay on them. On
the load test, three of eight workers then served nearly everything and p95 was 312 ms; with
a socket each, it was 165 ms at the same rate. When a worker is recycled (max_requests), the
connections waiting on its socket move to the others only with the sysctl
net.ipv4.tcp_migrate_req=1 (Linux 5.14+; README, Running in production), and the
connections it kept alive are closed, so recycling is rare: a worker serving 100 requests
a second is replaced after about ten minutes.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") == "1"
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = 5000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s %(p)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'  # %(p)s: <worker pid>
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Move everything loaded so far (the app, its modules and templates) out of the garbage
    collector's sight: collections then only walk what requests allocate. On the catalog
    this took the collector from about 0.4 to 0.1 ms of CPU per request."""
    gc.freeze()
