"""The one way into a journal: a file (SQLite) or a PostgreSQL schema, behind one contract."""

from rapport.store.contract import Connection, Cursor, Dialect, Params

__all__ = ["Connection", "Cursor", "Dialect", "Params"]
