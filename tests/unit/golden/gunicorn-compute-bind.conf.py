"""nova-compute-api.conf.py: the compute API of nova-wsgi under gunicorn.

    gunicorn -c nova-compute-api.conf.py

Written by nova-wsgi-build; run it again with other options rather than
editing this file. Run it as the API's user (systemd User=nova), with the
gunicorn of the environment that holds nova-wsgi.

Stopping: SIGTERM (what systemd sends) is a graceful stop: the workers
finish the requests they hold, for up to graceful_timeout seconds. SIGINT
and SIGQUIT stop at once; SIGHUP reloads the workers gracefully.
Each worker loads the API after the fork (preload_app off): no database
connection crosses a fork, and the API is loaded when the worker starts,
not at the first request. Header lines up to 64 KB
(limit_request_field_size) leave room for Keystone tokens. The access log ends with the request time
in microseconds; the second field is X-Forwarded-For.
post_fork empties the worker's sys.argv: upstream Nova parses it with
oslo.config and would refuse gunicorn's own arguments (-c, --bind); this
project ignores them. So one file serves either, with any command line.
"""

wsgi_app = "nova.wsgi.osapi_compute:application"
bind = ["127.0.0.1:18774"]
workers = 4
threads = 1
worker_class = "sync"
preload_app = False
timeout = 60
graceful_timeout = 15
limit_request_field_size = 65535
proc_name = "nova-compute-api"
control_socket_disable = True
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(D)s "%(f)s" "%(a)s"'


def post_fork(server, worker):
    import sys

    del sys.argv[1:]
