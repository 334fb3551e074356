"""gunicorn settings (`make serve`, or `gunicorn -c gunicorn.conf.py wsgi:app`).

Processes rather than threads: a request spends most of its time running Python, which one
process runs on one core at a time, so threads in a process queue behind each other (on the
2-core load test, 5 workers x 4 threads answered the catalog with p95 272 ms, 8 workers x 1
thread with p95 106 ms at the same rate). Four workers per core keep the cores busy while
some wait on PostgreSQL. Each can be overridden by the environment variable named beside it.

Each worker listens on its own socket (SO_REUSEPORT), so the kernel spreads new connections
evenly over the workers. With one shared socket, whichever worker wakes first takes a new
connection, which favours the busiest ones; kept alive, those connections stay on them. On
the load test, three of eight workers then served nearly everything and p95 was 312 ms; with
a socket each, it was 165 ms at the same rate. When a worker is recycled (max_requests), the
connections waiting on its socket move to the others only with the sysctl
net.ipv4.tcp_migrate_req=1 (Linux 5.14+; README, Running in production).
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 4))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") == "1"
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Move everything loaded so far (the app, its modules and templates) out of the garbage
    collector's sight: collections then only walk what requests allocate. On the catalog
    this took the collector from about 0.4 to 0.1 ms of CPU per request."""
    gc.freeze()
