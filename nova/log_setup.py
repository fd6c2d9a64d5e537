"""Logging of the API processes: where it goes, and the request id.

``setup_logging(conf)`` configures the root logger from ``[DEFAULT]``
(``log_config_append``, ``log_file``/``log_dir``, ``log_format``,
``debug``); every record carries the id of the request being served
(``request_id_var``, set by the request-id middleware).
"""

import contextvars
import logging
import os

from nova.exception import StartupError

request_id_var = contextvars.ContextVar("nova_request_id", default="-")


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


_OUR_HANDLER = "_nova_handler"


def setup_logging(conf):
    """Configure the root logger from [DEFAULT]; safe to call again."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OUR_HANDLER, False):
            root.removeHandler(handler)
            handler.close()
    if conf.log_config_append:
        from logging import config as logging_config

        try:
            logging_config.fileConfig(conf.log_config_append,
                                      disable_existing_loggers=False)
        except Exception as exc:
            raise StartupError(
                f"[DEFAULT] log_config_append = {conf.log_config_append}: "
                f"cannot configure logging from it: {exc}") from None
        for handler in root.handlers:
            handler.addFilter(_RequestIdFilter())
            handler.addFilter(_OneLineFault())
        return
    if conf.log_file:
        path = conf.log_file
        if conf.log_dir and not os.path.isabs(path):
            path = os.path.join(conf.log_dir, path)
        try:
            handler = logging.FileHandler(path)
        except OSError as exc:
            raise StartupError(
                f"[DEFAULT] log_file: cannot open {path} for writing "
                f"({exc.strerror}). Create the directory and give the API's "
                f"user write access, or unset log_file to log to stderr."
            ) from None
    else:
        handler = logging.StreamHandler()
    setattr(handler, _OUR_HANDLER, True)
    handler.setFormatter(logging.Formatter(conf.log_format))
    handler.addFilter(_RequestIdFilter())
    handler.addFilter(_OneLineFault())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
    for noisy in ("keystonemiddleware", "keystoneauth", "urllib3"):
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if conf.debug else logging.WARNING)


class _OneLineFault(logging.Filter):
    """SQLAlchemy's pool logs a whole traceback when it cannot roll back a
    connection the database dropped (an outage the API already reports as
    503): one line naming the driver's error instead (never the SQL)."""

    def filter(self, record):
        if (record.name.startswith("sqlalchemy.pool") and record.exc_info
                and record.exc_info[1] is not None):
            exc = record.exc_info[1]
            first = (str(exc).splitlines() or [""])[0][:300]
            record.msg = f"{record.getMessage()}: {type(exc).__name__}: " \
                         f"{first}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True

