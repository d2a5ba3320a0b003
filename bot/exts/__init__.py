"""Feature packages of the Discord bot: each is a small cog over the engine."""
