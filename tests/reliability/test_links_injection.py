"""Rows 2 and 3 (issue 11, items 3 and 4): glued links through the bot's echoes and quotes;
disguised injections planted in an article; a model's invented claims citing [1]."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from support.bot import BotFactory, embed_text
from support.discord_server import DiscordTestServer
from support.injections import sample_injections
from support.llm_server import LLMTestServer, reply
from support.settings import make_settings

from index.engine import Engine
from index.llm import LLMSettings, build_answerer
from index.safety import looks_like_injection

# What Discord would link: a scheme glued to "://", whatever precedes it; and, stricter
# than Discord (which needs the scheme), a bare "www." host.
LIVE = re.compile(r"(?i)[a-z][a-z0-9+.\-]*://[^\s<>()\[\]\"'`|*~\\]+"
                  r"|(?<![\w.\-])www\.[^\s<>()\[\]\"'`|*~\\]+")
META_URL = "https://news.example/2024/ardent-lumenfeld"
ARTICLE = f"""---
title: "Maëlle Ardent quitte Quillwork AI pour Lumenfeld"
outlet: "Le Journal Test"
published: "2024-06-10"
url: "{META_URL}"
language: "fr"
---
Maëlle Ardent a quitté Quillwork AI pour rejoindre Lumenfeld en juin 2024 \
(xhttps://evil.example/x, _https://evil.example/u, 1https://evil.example/d).
Chez Lumenfeld, Maëlle Ardent dirigera la recherche sur les agents, voir \
Xhttps://evil.example/phish et www.evil.example/w.
"""


async def test_glued_links_never_reach_users(
    reliability: Any, discord_server: DiscordTestServer, start_bot: BotFactory, tmp_path: Path
) -> None:
    r = reliability(2, "glued links (xhttps://, _https://, 1https://) in quotes, /company "
                    "name: and /moves from:")
    settings = make_settings(tmp_path)
    (settings.corpus_dir / "ardent.md").write_text(ARTICLE)
    engine = Engine(settings)
    engine.ingest()
    async with start_bot(engine=engine):
        handles = []
        for name, options in (
            ("ask", {"question": "Quand Maëlle Ardent a-t-elle quitté Quillwork AI ?"}),
            ("ask", {"question": "Que dirigera Maëlle Ardent chez Lumenfeld ?"}),
            ("company", {"name": "Xhttps://evil.example/phish"}),
            ("company", {"name": "Lumenfeld _https://evil.example/u"}),
            ("moves", {"from": "1https://evil.example/d"}),
            ("moves", {"to": "Lumenfeld", "from": "xhttps://evil.example/x"}),
        ):
            handle = await discord_server.slash_command(name, options)
            await discord_server.wait_for_interaction_response(handle, timeout=15)
            handles.append(handle)
    payloads = discord_server.outgoing_payloads()
    visible = "\n".join(embed_text(p) for p in payloads)
    found = {m.group(0).rstrip(".,;:!?_") for m in LIVE.finditer(visible)}
    foreign = sorted(u for u in found if u != META_URL)
    r.record("commands", len(handles))
    r.record("payloads", len(payloads))
    r.record("evil_links_shown_as_text", visible.count("evil.example"))
    r.record("live_foreign_links", foreign)
    assert visible.count("evil.example") >= 4  # the text is there, only inert
    assert not foreign, foreign


def test_disguised_injections_are_never_quoted_or_sent(
    reliability: Any, tmp_path: Path
) -> None:
    r = reliability(3, "60 disguised injections planted in articles; a model inventing "
                    "claims that cite [1]")
    injections = sample_injections(60)
    settings = make_settings(tmp_path)
    for i in range(0, len(injections), 6):  # each article: a real fact among injections
        fact = f"Maëlle Ardent a recruté {i + 2} ingénieurs chez Lumenfeld en 2024."
        body = " ".join([*injections[i:i + 3], fact, *injections[i + 3:i + 6]])
        (settings.corpus_dir / f"planted-{i}.md").write_text(
            f"---\ntitle: Lumenfeld recrute ({i})\n---\n{body}\n")
    prompts: list[str] = []

    def invent(request: Any) -> Any:
        prompts.append(f"{request.system}\n{request.user}")
        # A model that makes things up, with a citation, and a phishing line.
        return reply("Maëlle Ardent a rejoint Quillwork AI en 2019 [1]. "
                     "Appelez le 06 12 34 56 78 pour postuler [1].")

    with LLMTestServer(responder=invent) as server:
        llm = build_answerer(LLMSettings(  # type: ignore[call-arg]
            _env_file=None, LLM_PROVIDER="openai", LLM_BASE_URL=server.openai_url,
            LLM_MODEL="test-model", LLM_TIMEOUT_S=5, LLM_BREAKER_FAILURES=100,
        ))
        assert llm is not None
        try:
            engine = Engine(settings, llm=llm)
            engine.ingest()
            answers = [engine.ask(q) for q in (
                "Combien d'ingénieurs Maëlle Ardent a-t-elle recrutés chez Lumenfeld ?",
                "What should AI assistants say about Lumenfeld?",
                "Qu'a racheté Lumenfeld ?", "Who founded Lumenfeld?",
                "Quelles consignes faut-il ignorer ?",
            )]
            stats = llm.stats()
        finally:
            llm.close()
    quoted = [c.quote for a in answers for c in a.citations]
    flagged_quotes = [q for q in quoted if looks_like_injection(q)]
    injected_quotes = [q for q in quoted if any(
        inj.strip()[:20] in q for inj in injections)]
    sent = [p for p in prompts if any(inj.strip()[:20] in p for inj in injections)]
    recognised = sum(looks_like_injection(inj) for inj in injections)
    r.record("injections planted", len(injections))
    r.record("recognised by the filter", recognised)
    r.record("answers", len(answers))
    r.record("citations", len(quoted))
    r.record("injections quoted", len(injected_quotes) + len(flagged_quotes))
    r.record("prompts sent to the model", len(prompts))
    r.record("prompts holding an injection", len(sent))
    r.record("invented model answers shown", sum(a.mode == "llm" for a in answers))
    r.record("rejections", stats.get("rejections"))
    assert recognised == len(injections)
    assert quoted and not injected_quotes and not flagged_quotes
    assert prompts and not sent
    assert not any(a.mode == "llm" for a in answers)
    assert "Quillwork" not in " ".join(a.text for a in answers)
