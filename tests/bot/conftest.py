"""Fixtures for the bot's end-to-end tests; they live in tests_bot_helpers, shared with the
reliability suite."""

from tests_bot_helpers import discord_server, start_bot

__all__ = ["discord_server", "start_bot"]
