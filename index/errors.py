"""Domain errors. Each carries a message fit to show a user as is.

The edges (CLI, Discord) catch `TalentbotError` and show `str(error)`; anything else is a
bug: it is logged with its traceback and the user gets a short message with an error id.
"""


class TalentbotError(Exception):
    """Base class: the message is safe and useful for an end user."""


class ConfigError(TalentbotError):
    """A setting is missing or invalid."""


class IndexMissingError(TalentbotError):
    """There is no index yet; the message says which command builds it."""


class IndexMismatchError(TalentbotError):
    """The index was built with another embedding model, dimension or schema."""


class StoreUnavailableError(TalentbotError):
    """The Chroma server cannot be reached, or refused the request."""


class StoreDamagedError(TalentbotError):
    """The vector store's files are damaged; the message says how to restore or rebuild."""


class StoreAuthError(StoreUnavailableError):
    """The Chroma server (or a proxy before it) refused our credentials: 401 or 403."""


class IndexBusyError(TalentbotError):
    """Another process holds the writer lock."""


class BadQuestionError(TalentbotError):
    """The question is empty, too long or otherwise unusable."""


class CorpusFileError(TalentbotError):
    """One corpus file cannot be read; the ingest reports it and goes on."""
