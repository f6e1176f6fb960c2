"""Why storage refused a request; the edit errors carry the HTTP status and code they map to."""

from __future__ import annotations

import sqlalchemy.exc


class StorageError(ValueError):
    """A storage request that cannot be served as asked (bad URL, map already present, ...)."""


class NotFound(StorageError):
    code, status = "not_found", 404


class StaleRevision(StorageError):
    code, status = "stale_revision", 412


class InvalidEdit(StorageError):
    """An edit that would break the map (dangling edge, unknown node); names the field."""

    code, status = "invalid_edit", 422

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


class EdgeTooLong(InvalidEdit):
    """A segment longer than :data:`~navigator.storage.tables.MAX_EDGE_M`: a typo (a node moved
    to another continent)."""

    code = "edge_too_long"


class EditConflict(StorageError):
    code, status = "conflict", 409


def cannot_open_reason(err: Exception) -> str | None:
    """The driver's words when ``err`` means the database could not be opened or reached (a bad
    path, a refused connection, a malformed URL); None for any other error."""
    if isinstance(err, sqlalchemy.exc.OperationalError | sqlalchemy.exc.ArgumentError):
        return str(err.orig if hasattr(err, "orig") else err)
    return None
