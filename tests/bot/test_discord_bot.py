"""The real bot, the real engine on the seed corpus, the real discord.py, over loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from support.bot import BotFactory, as_message, embed_text, pings_nobody
from support.discord_server import DiscordTestServer
from support.settings import make_settings

from index.engine import Engine


def custom_ids(record: Any) -> list[str]:
    message = as_message(record)
    return [c["custom_id"] for row in message.get("components") or [] for c in row["components"]]


async def mention(server: DiscordTestServer, text: str, channel_id: int | None = None) -> Any:
    return await server.user_message(
        channel_id=channel_id, content=f"<@{server.bot_id}> {text}", mentions_bot=True
    )


async def test_mention_gets_a_cited_answer_in_a_thread(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        asked = await mention(discord_server, "Who left Microsoft for OpenAI?")
        reply = await discord_server.wait_for_message(timeout=15)
    text = embed_text(reply)
    assert "Bubeck" in text and "[1]" in text
    assert "Sebastien Bubeck s'apprête à quitter Microsoft" in text  # the source's title
    assert reply["channel_id"] != discord_server.channel_id  # answered in the new thread
    assert str(reply["channel_id"]) == str(asked["id"])  # a thread's id is its message's
    assert any(cid.startswith("tb:src:") for cid in custom_ids(reply))
    assert all(pings_nobody(p) for p in discord_server.outgoing_payloads())


async def test_allow_listed_channel_answers_questions_without_mention(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    channel = discord_server.add_channel("ask-here")
    async with start_bot(DISCORD_ANSWER_CHANNELS=str(channel.id), DISCORD_OPEN_THREADS=False):
        await discord_server.user_message(channel_id=channel.id, content="Just saying hello.")
        await discord_server.user_message(
            channel_id=channel.id, content="Qui a quitté OpenAI récemment ?"
        )
        reply = await discord_server.wait_for_message(timeout=15)
        await asyncio.sleep(0.3)
    assert reply["channel_id"] in (channel.id, str(channel.id))
    assert "OpenAI" in embed_text(reply)
    assert len(discord_server.bot_messages) == 1  # the statement got no reply


async def test_thread_follow_up_uses_the_previous_question(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        await mention(discord_server, "Who joined Mistral AI from Meta?")
        first = await discord_server.wait_for_message(timeout=15)
        thread_id = int(first["channel_id"])
        await discord_server.user_message(
            channel_id=thread_id, content="And when was Lavril hired?"
        )
        follow = await discord_server.wait_for_message(timeout=15)
    assert int(follow["channel_id"]) == thread_id
    assert "juin 2023" in embed_text(follow)


async def test_a_fresh_question_in_a_thread_is_answered_on_its_own(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    """The thread's earlier questions go to the engine, which sees this one needs none of
    them: a who-moved question gets the records' answer first, as outside a thread."""
    async with start_bot():
        await mention(discord_server, "Quel poste Lilian Weng occupe-t-elle chez OpenAI ?")
        first = await discord_server.wait_for_message(timeout=15)
        thread_id = int(first["channel_id"])
        await discord_server.user_message(
            channel_id=thread_id, content="Who left Meta for Mistral?"
        )
        fresh = await discord_server.wait_for_message(timeout=15)
    text = embed_text(fresh)
    assert int(fresh["channel_id"]) == thread_id
    assert "In short:" in text and "From the moves recorded in my articles" in text
    assert "Lample" in text and "Lavril" in text


async def test_slash_ask_is_deferred_then_answered_within_limits(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        handle = await discord_server.slash_command(
            "ask", {"question": "Quel poste occupait Mira Murati chez OpenAI ?"}
        )
        await discord_server.wait_for_interaction_response(handle, timeout=15)
    assert handle.deferred and handle.acknowledged_in_time
    assert handle.ack_latency is not None and handle.ack_latency < 3
    followup = handle.followups[0]
    assert "directrice technique" in embed_text(followup)


async def test_company_with_autocomplete(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        completion = await discord_server.autocomplete("company", "name", "me")
        choices = await discord_server.wait_for_autocomplete(completion)
        handle = await discord_server.slash_command("company", {"name": "Meta"})
        await discord_server.wait_for_interaction_response(handle, timeout=15)
        unknown = await discord_server.slash_command("company", {"name": "Acme Quantum Labs"})
        await discord_server.wait_for_interaction_response(unknown, timeout=15)
    assert "Meta" in [c["value"] for c in choices]
    summary = embed_text(handle.followups[0])
    assert "Meta" in summary and "OpenAI" in summary
    assert "don't mention Acme Quantum Labs" in embed_text(unknown.followups[0])


async def test_unanswerable_question_gets_an_honest_abstention(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        handle = await discord_server.slash_command(
            "ask", {"question": "Which researchers did Amazon hire from Google?"}
        )
        await discord_server.wait_for_interaction_response(handle, timeout=15)
    reply = handle.followups[0]
    assert "I don't find anything about Amazon" in embed_text(reply)
    assert not any(cid.startswith("tb:src:") for cid in custom_ids(reply))


async def test_buttons_work_and_keep_working_after_a_restart(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        await mention(discord_server, "Who did Meta hire from OpenAI?")
        reply = await discord_server.wait_for_message(timeout=15)
        ids = custom_ids(reply)
        helpful = next(c for c in ids if c.startswith("tb:fb:u:"))
        click = await discord_server.click_button(reply["id"], helpful)
        await discord_server.wait_for_interaction_response(click)
    assert click.ephemeral and "Thanks" in click.responses[0].payload["data"]["content"]

    async with start_bot() as bot:  # a new process would see the same store file
        sources = next(c for c in ids if c.startswith("tb:src:"))
        shown = await discord_server.click_button(reply["id"], sources)
        await discord_server.wait_for_interaction_response(shown)
        vote = await discord_server.click_button(
            reply["id"], helpful.replace(":u:", ":d:")
        )
        await discord_server.wait_for_interaction_response(vote)
        rows = bot.store.feedback_rows()
    content = shown.responses[0].payload["data"]["content"]
    assert shown.ephemeral and "Bansal" in content and "[1]" in content
    assert len(rows) == 1 and rows[0]["helpful"] == 0  # the same user changed their vote
    assert str(discord_server.user_id) not in str(rows[0])  # only a salted hash is kept


async def test_mentions_in_questions_never_ping(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    role = discord_server.add_role("staff")
    async with start_bot():
        await mention(
            discord_server,
            f"@everyone @here <@&{role.id}> <@{discord_server.user_id}> who left OpenAI?",
        )
        reply = await discord_server.wait_for_message(timeout=15)
    payloads = discord_server.outgoing_payloads()
    assert payloads and all(pings_nobody(p) for p in payloads)
    assert "@everyone" not in embed_text(reply) or "@\u200beveryone" in embed_text(reply)


async def test_mentions_inside_article_quotes_are_escaped(
    discord_server: DiscordTestServer, start_bot: BotFactory, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    (settings.corpus_dir / "hostile.md").write_text(
        "---\ntitle: Hostile @everyone <@&123456789012345678>\n---\n"
        "Luke Metz a quitté OpenAI @everyone et <@123456789012345678> [clic](https://evil.example).\n"
    )
    engine = Engine(settings)
    engine.ingest()
    async with start_bot(engine=engine):
        await mention(discord_server, "Did Luke Metz leave OpenAI?")
        reply = await discord_server.wait_for_message(timeout=15)
    text = embed_text(reply)
    assert "Luke Metz" in text
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    assert "<@123456789012345678>" not in text
    assert "https://evil.example" not in text
    assert all(pings_nobody(p) for p in discord_server.outgoing_payloads())


async def test_cooldown_reply(discord_server: DiscordTestServer, start_bot: BotFactory) -> None:
    async with start_bot(DISCORD_USER_COOLDOWN_S=60):
        first = await discord_server.slash_command("ask", {"question": "Who left OpenAI?"})
        await discord_server.wait_for_interaction_response(first, timeout=15)
        second = await discord_server.slash_command("ask", {"question": "Who joined Meta?"})
        await discord_server.wait_for_interaction_response(second, timeout=15)
    assert second.ephemeral and not second.deferred
    assert "try again in" in second.responses[0].payload["data"]["content"]


async def test_busy_reply_when_the_queue_is_full(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot(DISCORD_MAX_CONCURRENT=1, DISCORD_MAX_WAITING=0) as bot, \
            bot.limiter.slot():  # another question holds the only place
        handle = await discord_server.slash_command("ask", {"question": "Who left Meta?"})
        await discord_server.wait_for_interaction_response(handle, timeout=15)
        await mention(discord_server, "Who left OpenAI?")
        busy = await discord_server.wait_for_message(timeout=15)
    assert handle.ephemeral and "busy" in handle.responses[0].payload["data"]["content"]
    assert "busy" in busy["content"]


async def test_reconnect_mid_conversation_loses_no_question(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        await discord_server.send_reconnect()
        await mention(discord_server, "Who left Microsoft for OpenAI?")
        reply = await discord_server.wait_for_message(timeout=20)
        await discord_server.wait_for(lambda: discord_server.resume_count >= 1, 10, "RESUME")
    assert "Bubeck" in embed_text(reply)


async def test_long_answers_are_split_within_discord_limits(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    from index.types import Answer, Citation

    quote = "Une phrase très longue sur les départs de chercheurs. " * 60
    citations = tuple(
        Citation(n, "a", f"Titre {n} " * 40, "Média", "2024-01-01", None, quote, 0)
        for n in range(1, 31)
    )
    answer = Answer("q", "\n".join(f"“{quote}” [{c.n}]" for c in citations), citations,
                    False, 0.9, "extractive", "fr")
    async with start_bot() as bot:
        cog = bot.get_cog("Questions")  # loaded as an extension: a module object of its own
        assert cog is not None
        channel = bot.get_channel(discord_server.channel_id)
        await cog.send_answer(channel, answer, None)
    sent = discord_server.bot_messages
    assert len(sent) > 1
    assert discord_server.status_counts.get(400, 0) == 0


async def test_company_attaches_the_flow_chart(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        handle = await discord_server.slash_command("company", {"name": "OpenAI"})
        await discord_server.wait_for_interaction_response(handle, timeout=20)
    message = as_message(handle.followups[-1])
    names = [a.get("filename") for a in message.get("attachments") or []]
    assert names == ["talent-flows.png"]
    assert any(
        (e.get("image") or {}).get("url") == "attachment://talent-flows.png"
        for e in message.get("embeds") or []
    )
    uploads = [f for r in discord_server.requests for f in r.files]
    assert uploads and uploads[-1].size > 10_000
    assert "Sebastien Bubeck" in embed_text(handle.followups[0])


async def test_person_and_moves_commands(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        completion = await discord_server.autocomplete("person", "name", "roz")
        choices = await discord_server.wait_for_autocomplete(completion)
        person = await discord_server.slash_command("person", {"name": "Baptiste Roziere"})
        await discord_server.wait_for_interaction_response(person, timeout=15)
        moves = await discord_server.slash_command("moves", {"from": "OpenAI", "to": "Meta"})
        await discord_server.wait_for_interaction_response(moves, timeout=15)
    assert [c["value"] for c in choices] == ["Baptiste Rozière"]
    assert "Meta → Mistral AI" in embed_text(person.followups[0])
    listing = embed_text(moves.followups[0])
    assert "Trapit Bansal" in listing and "Hongyu Ren" in listing


async def test_llm_answers_through_the_bot_are_escaped_and_cited(
    discord_server: DiscordTestServer, start_bot: BotFactory, seed_workdir: Path
) -> None:
    from support.llm_server import LLMTestServer, reply

    from index.llm import LLMSettings, build_answerer

    question = "Where did Sebastien Bubeck teach before Microsoft?"
    with LLMTestServer() as llm_server:
        llm = build_answerer(LLMSettings(  # type: ignore[call-arg]
            _env_file=None, LLM_PROVIDER="openai", LLM_BASE_URL=llm_server.openai_url,
            LLM_MODEL="m", LLM_TIMEOUT_S=5,
        ))
        engine = Engine(make_settings(seed_workdir, seed_workdir / "corpus" / "articles"), llm=llm)
        _, sources = await asyncio.to_thread(engine.evidence, question)
        n = next(s.n for s in sources if "Princeton" in s.quote)
        ping = "<@123456789012345678>"
        llm_server.script(reply(f"@everyone Il enseignait à Princeton [{n}]. {ping}"))
        async with start_bot(engine=engine):
            await mention(discord_server, question)
            answered = await discord_server.wait_for_message(timeout=20)
    text = embed_text(answered)
    assert "Princeton" in text and "[1]" in text and "llm answer" in text
    assert "@everyone" not in text.replace("@\u200beveryone", "")
    assert "<@123456789012345678>" not in text
    assert all(pings_nobody(p) for p in discord_server.outgoing_payloads())


async def test_in_its_own_threads_only_questions_or_mentions_are_answered(
    discord_server: DiscordTestServer, start_bot: BotFactory
) -> None:
    async with start_bot():
        await mention(discord_server, "Who joined Mistral AI from Meta?")
        first = await discord_server.wait_for_message(timeout=15)
        thread_id = int(first["channel_id"])
        stranger = discord_server.add_user("stranger").id
        await discord_server.user_message(channel_id=thread_id, content="thanks, lol")
        await discord_server.user_message(channel_id=thread_id, author_id=stranger,
                                          content="nice")
        await discord_server.user_message(channel_id=thread_id,
                                          content="And when was Lavril hired?")
        follow = await discord_server.wait_for_message(timeout=15)
        await discord_server.user_message(channel_id=thread_id, content="merci", mentions_bot=True)
        mentioned = await discord_server.wait_for_message(timeout=15)
        await asyncio.sleep(0.3)
    assert "juin 2023" in embed_text(follow)
    assert int(mentioned["channel_id"]) == thread_id  # a mention is always for the bot
    assert len(discord_server.bot_messages) == 3  # the chatter got no reply
