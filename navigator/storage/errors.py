"""Why storage refused a request; the edit errors carry the HTTP status and code they map to."""

from __future__ import annotations


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
