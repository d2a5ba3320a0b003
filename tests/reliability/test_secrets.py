"""Row 4: secrets never leave their settings: logs, replies, repr, doctor, git."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.bot import as_message, bot_settings, restored_discord_endpoints
from support.discord_server import DiscordTestServer
from support.llm_server import LLMTestServer
from support.settings import make_settings

from bot.client import create_bot
from bot.settings import BotSettings
from bot.store import BotStore
from index import redact
from index.engine import Engine
from index.errors import StoreAuthError, StoreUnavailableError
from index.llm import LLMSettings
from index.ops import doctor
from index.store import open_client

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "canary-discord-token-5d2c"
API_KEY = "sk-canary-llm-key-9a41"  # pragma: allowlist secret


async def test_canary_secrets_never_leak(
    reliability: Any, seed_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = reliability(4, "secrets: canary token and API key never leak")
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("LLM_API_KEY", API_KEY)
    places: dict[str, str] = {}
    with restored_discord_endpoints():
        async with DiscordTestServer(point_discord_py=False, token=TOKEN) as server:
            settings = bot_settings(server, tmp_path)
            assert settings.require_token() == TOKEN
            store = BotStore(tmp_path / "bot.sqlite3")
            bot = create_bot(seed_engine, settings, store, guild_ready_timeout=0.05)
            try:
                async with server.run_client(bot, ready_timeout=20):
                    # an answer, an engine error (nothing left to ask: /ask's max_length
                    # now stops a too-long question at Discord) and a refused command
                    handle = await server.slash_command("ask", {"question": "Who left OpenAI?"})
                    await server.wait_for_interaction_response(handle, timeout=15)
                    long_q = await server.slash_command("ask", {"question": "\x07" * 3})
                    await server.wait_for_interaction_response(long_q, timeout=15)
            finally:
                store.close()
            places["payloads"] = repr(server.outgoing_payloads())
            places["replies"] = repr([as_message(r) for h in (handle, long_q)
                                      for r in h.responses])
    places["logs"] = caplog.text
    places["settings repr"] = repr(settings) + str(settings) + repr(BotSettings(_env_file=None))
    places["llm settings repr"] = repr(LLMSettings(_env_file=None))
    places["doctor"] = repr([c.to_dict() for c in doctor(seed_engine, True, quick=True)])
    leaks = [name for name, text in places.items() if TOKEN in text or API_KEY in text]
    report.record("places checked", len(places))
    report.record("leaks", len(leaks))
    assert not leaks, leaks


def test_env_file_is_ignored_by_git(reliability: Any) -> None:
    report = reliability(4, "secrets: .env is git-ignored, scanner in make lint")
    ignored = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=ROOT).returncode == 0
    makefile = (ROOT / "Makefile").read_text()
    report.record(".env ignored", ignored)
    report.record("scanner in lint", "detect-secrets-hook" in makefile)
    assert ignored and "detect-secrets-hook" in makefile


# -- canaries through the real code paths: logs, CLI errors, doctor, the bot's replies ------
CHROMA_CANARY = "chroma-canary-token-8e3b"  # pragma: allowlist secret
URL_CANARY = "url-canary-pass-41f0"  # pragma: allowlist secret


class EchoingChroma:
    """A Chroma-like HTTP server on loopback that answers every request with `status` and
    the request's headers in the body, as a misconfigured server or proxy does. With
    `heartbeat_ok`, the heartbeat answers 200 so that the client opens and fails later."""

    def __init__(self, status: int, heartbeat_ok: bool = False) -> None:
        import http.server
        import threading

        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                if outer.heartbeat_ok and self.path.endswith("/heartbeat"):
                    body, status = b'{"nanosecond heartbeat": 1}', 200
                else:
                    body = ("upstream said no; request was:\n" + "".join(
                        f"{k}: {v}\n" for k, v in self.headers.items())).encode()
                    status = outer.status
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.status, self.heartbeat_ok = status, heartbeat_ok
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> EchoingChroma:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_cli(argv: list[str], env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """`talentbot ARGV` in its own process, as an operator runs it; stdout + stderr."""
    full = {**os.environ, **env, "TALENTBOT_DATA_DIR": str(tmp_path / "data"),
            "TALENTBOT_CORPUS_DIR": str(tmp_path / "corpus"), "TALENTBOT_LOG_LEVEL": "DEBUG"}
    (tmp_path / "corpus").mkdir(exist_ok=True)
    talentbot = Path(sys.executable).parent / "talentbot"
    done = subprocess.run([str(talentbot), *argv], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("status", [401, 403, 500])
def test_chroma_errors_never_echo_the_token(
    reliability: Any, status: int, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    report = reliability(4, "secrets: a Chroma server that echoes headers, CLI and doctor")
    redact.install()  # what bot/cli.py's main does for every command
    caplog.set_level(logging.DEBUG)
    places: dict[str, str] = {}
    with EchoingChroma(status) as server:
        env = {"CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(server.port),
               "CHROMA_AUTH_TOKEN": CHROMA_CANARY}
        code, places["cli ask"] = run_cli(["ask", "Who left Lumenfeld?"], env, tmp_path)
        _, places["cli doctor"] = run_cli(["doctor", "--json"], env, tmp_path)
        settings = make_settings(tmp_path, CHROMA_HOST="127.0.0.1", CHROMA_PORT=server.port,
                                 CHROMA_AUTH_TOKEN=CHROMA_CANARY)
        with pytest.raises(StoreUnavailableError) as raised:
            open_client(settings).get_or_create_collection("x")
        places["error"] = str(raised.value)
    with EchoingChroma(status, heartbeat_ok=True) as server:
        settings = make_settings(tmp_path, CHROMA_HOST="127.0.0.1", CHROMA_PORT=server.port,
                                 CHROMA_AUTH_TOKEN=CHROMA_CANARY)
        with pytest.raises(StoreUnavailableError) as later:
            open_client(settings).get_or_create_collection("x")
        places["error after open"] = str(later.value)
    places["logs"] = caplog.text
    leaks = [name for name, text in places.items() if CHROMA_CANARY in text]
    auth_named = isinstance(raised.value, StoreAuthError) and "credentials" in places["cli ask"]
    report.record(f"HTTP {status}: places checked", len(places))
    report.record(f"HTTP {status}: leaks", len(leaks))
    report.record(f"HTTP {status}: reported as an authentication error", auth_named)
    assert code != 0 and "Traceback" not in places["cli ask"]
    assert not leaks, {name: places[name][:300] for name in leaks}
    if status in (401, 403):
        assert auth_named, places["cli ask"]
        assert "Cannot reach" not in places["cli ask"]
    else:
        assert not isinstance(raised.value, StoreAuthError)


def test_llm_url_credentials_never_logged(reliability: Any, tmp_path: Path) -> None:
    report = reliability(4, "secrets: LLM_BASE_URL user:password@ never logged")
    with LLMTestServer() as server:
        url = f"http://bot:{URL_CANARY}@127.0.0.1:{server.port}/v1"
        env = {"LLM_PROVIDER": "openai", "LLM_BASE_URL": url, "LLM_MODEL": "test-model",
               "LLM_API_KEY": API_KEY}
        _, doctor_out = run_cli(["doctor"], env, tmp_path)
        _, ask_out = run_cli(["ask", "Who left Lumenfeld?"], env, tmp_path)
        requests = len(server.requests)
    text = doctor_out + ask_out
    report.record("llm requests", requests)
    report.record("httpx lines logged", text.count("httpx"))
    report.record("leaks", text.count(URL_CANARY) + text.count(API_KEY))
    assert requests >= 1 and "httpx" in text  # the URL was logged, and masked
    assert URL_CANARY not in text and API_KEY not in text
