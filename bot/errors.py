"""The bot's one error policy: users get a short message, logs get the details.

Domain errors (`TalentbotError`) carry a message written for users. Anything else is a
bug: it is logged with its traceback under a short error id, and the user sees only the
id, never a traceback or a setting.
"""

from __future__ import annotations

import logging
import secrets

from index.errors import TalentbotError
from index.redact import redact

log = logging.getLogger("talentbot.bot")


class CooldownError(TalentbotError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"You're asking quickly: try again in {max(1, round(retry_after))} s."
        )


class BusyError(TalentbotError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"I'm busy answering other questions: try again in {max(1, round(retry_after))} s."
        )


class NotAllowedError(TalentbotError):
    """Refused before any work: DMs off, a guild or channel the bot does not serve."""


def user_message(error: BaseException, where: str) -> str:
    """What to tell the user about `error`; logs unexpected errors with an id."""
    if isinstance(error, TalentbotError):
        log.info("%s: %s", where, error)
        return redact(str(error))  # a server's error text can echo a credential
    error_id = secrets.token_hex(4)
    log.error("error %s in %s", error_id, where, exc_info=error)
    return f"Something went wrong on my side (error {error_id}). Please try again later."
