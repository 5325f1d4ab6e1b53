"""Every exception mlbom raises, in one place.

Each carries what the user needs (the repo id, file or URL) and renders as one line through
``str()``. The CLI maps the classes to exit codes in one table (see ``sbom/cli.py``):
``InputError`` → 2, ``OperationalError`` → 3. Library code never prints or exits.
"""

from __future__ import annotations

from lineage.text_safety import redact_secrets

#: The words a node's problem line uses for a file its repo lists that could not be read (a
#: 404, missing from a mirror, retries exhausted): ``<file>: could not be read: <why>``. The
#: gate (``sbom.check``) looks for them, also in problems read back from a BOM.
UNREAD_FILE = "could not be read"


class MlbomError(Exception):
    """Root of mlbom's exceptions. ``str()`` is a one-line message naming what failed."""

    def __init__(self, message: str, *, subject: str | None = None) -> None:
        # one line, whatever the input held; no credential of a URL or token survives
        self.message = redact_secrets(" ".join(message.split()))
        self.subject = redact_secrets(subject) if subject else subject
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.subject and self.subject not in self.message:
            return f"{self.subject}: {self.message}"
        return self.message


class InputError(MlbomError):
    """The user's input is wrong: a bad id, an unreadable folder, a malformed file. Exit 2."""


class InvalidIdError(InputError):
    """A value is not a valid Hub repo id."""


class ParseError(InputError):
    """A metadata file could not be parsed (malformed, too large, too deep, wrong type)."""

    def __init__(self, message: str, *, subject: str | None = None, file: str | None = None):
        self.file = file
        super().__init__(f"{file}: {message}" if file else message, subject=subject)


class PolicyError(InputError):
    """A license policy file is invalid; the message gives the line and key."""


class OperationalError(MlbomError):
    """Something outside the user's input failed: the Hub, a store, a validator. Exit 3."""


class HubError(OperationalError):
    """The Hub (or a mirror) could not answer for a repo.

    ``reason`` is one of the unresolved reasons the BOM records (``not-found``, ``gated``,
    ``unavailable-for-legal-reasons``, ``offline``, ``hub-error``), so a parent that fails
    this way becomes an unresolved node rather than a lost graph.
    """

    def __init__(self, message: str, *, subject: str | None = None, reason: str = "hub-error"):
        self.reason = reason
        super().__init__(message, subject=subject)


class ValidationFailure(OperationalError):
    """A document we built failed schema validation; it is never written."""


class StoreError(OperationalError):
    """The inventory or index database failed."""
