"""What `rapport check` finds, as either backend reports it."""

from __future__ import annotations

from dataclasses import dataclass

from rapport.store.migrations import SCHEMA_VERSION

# What `check` could not look at, and that does not make the journal unhealthy.
_UNCHECKED_BUT_FINE = ("not checked: another", "not checked: the journal is read-only")


@dataclass
class Check:
    integrity: list[str]  # "ok", or the backend's list of problems
    foreign_keys: list[str] | None  # the rows pointing nowhere; None when not checked
    version: int
    search_index: str  # "ok" or what is wrong

    @property
    def ok(self) -> bool:
        return (
            self.integrity == ["ok"]
            and self.foreign_keys == []
            and self.version == SCHEMA_VERSION
            and self.search_index.startswith(("ok", *_UNCHECKED_BUT_FINE))
        )
