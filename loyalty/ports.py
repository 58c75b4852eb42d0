"""What the services need from storage, said without naming SQLAlchemy."""

from __future__ import annotations


class Conflict(Exception):
    """Another transaction wrote the same unique fact first; retrying sees its result."""
