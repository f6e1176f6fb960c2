"""Structured logging: one JSON object per line, with the ``extra=`` fields kept as keys."""

from __future__ import annotations

import json
import logging
import re
import sys
import time

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
#: Characters of a live session's id kept in logs: enough to follow one walk. Logs never hold a
#: whole id or a session's token (:mod:`navigator.sessiontokens`).
SESSION_PREFIX = 8
_SESSION_PATH = re.compile(rf"(/v1/sessions/[^/]{{{SESSION_PREFIX}}})[^/]+")


def short_id(session_id: str) -> str:
    """A session id as logs show it."""
    return session_id[:SESSION_PREFIX]


def loggable_path(path: str) -> str:
    """A request path with a session id cut short (``/v1/sessions/1f3a9c0e…/ws``)."""
    return _SESSION_PATH.sub(r"\1…", path)


class JsonFormatter(logging.Formatter):
    """Render a record as JSON so logs can be filtered by field rather than grepped."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,  # which worker of ``serve --workers``
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


def setup_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Send logs to stderr (stdout is for command output, e.g. the key of `keys create`)."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.Formatter.converter = time.gmtime
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
