"""Errors meant for a person: each message is complete (dataset, file or URL, cause, what to do)."""

from __future__ import annotations


class BilatrusError(Exception):
    """Base of every user-facing error; `str(error)` is the whole message, ready to print."""

    def __init__(self, message: str, *, dataset: str | None = None) -> None:
        super().__init__(message)
        self.dataset = dataset

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""
