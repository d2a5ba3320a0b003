"""Two shards through the test server: READY carries the shard, both answer questions."""

from __future__ import annotations

from pathlib import Path

from support.bot import bot_settings, embed_text, restored_discord_endpoints
from support.discord_server import DiscordTestServer
from support.discord_world import shard_for

from bot.client import ShardedTalentBot, create_bot
from bot.status import gateway_check
from bot.store import BotStore
from index.engine import Engine


async def test_two_shards_answer_in_their_guilds(seed_engine: Engine, tmp_path: Path) -> None:
    with restored_discord_endpoints():
        async with DiscordTestServer(point_discord_py=False, shard_count=2) as server:
            other = server.add_guild("Second", on_shard=(1 - shard_for(server.guild_id, 2), 2))
            other_channel = server.add_channel("questions", guild_id=other.id)
            status = tmp_path / "status.json"
            settings = bot_settings(server, tmp_path, DISCORD_SHARD_COUNT=2,
                                    DISCORD_OPEN_THREADS=False, TALENTBOT_BOT_STATUS_FILE=status)
            store = BotStore(tmp_path / "bot.sqlite3")
            bot = create_bot(seed_engine, settings, store, guild_ready_timeout=0.05)
            assert isinstance(bot, ShardedTalentBot)
            try:
                async with server.run_client(bot, ready_timeout=20):
                    shards = sorted(s.shard for s in server.sessions.values() if s.shard)
                    assert shards == [(0, 2), (1, 2)]
                    replies = []
                    for channel in (server.channel_id, other_channel.id):
                        await server.user_message(
                            channel_id=channel, mentions_bot=True,
                            content=f"<@{server.bot_id}> Who left Microsoft for OpenAI?",
                        )
                        replies.append(await server.wait_for_message(timeout=15))
                    # The health check's view: both shards up.
                    health = gateway_check(status)
                    assert health.ok and health.detail.startswith("connected, 2 shard(s)")
            finally:
                store.close()
    assert {str(r["channel_id"]) for r in replies} == {
        str(server.channel_id), str(other_channel.id)
    }
    assert all("Bubeck" in embed_text(r) for r in replies)
