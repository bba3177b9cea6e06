"""Error tree. Every error a user can cause or meet is a PlanvecError with a message that says what to do."""

from __future__ import annotations


class PlanvecError(Exception):
    """Base of every planvec error. ``hint`` tells the user how to fix it."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(PlanvecError):
    """Bad arguments or configuration given by the user."""

    exit_code = 2


class ParseError(PlanvecError):
    """A source file could not be read or parsed."""


class ModelError(PlanvecError):
    """The embedding model is missing, corrupt or cannot be built."""


class StoreError(PlanvecError):
    """The vector store failed or is unreachable."""


class StoreLockedError(StoreError):
    """Another process holds the data directory for writing."""

    #: The state of the lock that refused the store (a ``planvec.store.base.LockStatus``) when the
    #: store could read it, else None.
    lock: object | None = None


class DiskFullError(StoreError):
    """A write was refused (or failed) because the data directory's disk has too little free space."""


class CollectionNotFound(StoreError):
    """The named collection does not exist."""


class DimensionMismatch(StoreError):
    """A collection's vector dimension or model differs from the configured model."""


class NotSupported(StoreError):
    """This store cannot do what was asked (a capability of the other kind of store)."""


class ConfigWarning(UserWarning):
    """A configuration that works but is probably not what was meant (an unknown planvec.toml key)."""
