"""The deployment files (deploy/): their structure, and the commands they run, run here.

No Docker engine is needed: the Dockerfile, .dockerignore, compose file and systemd unit are
parsed, and the `talentbot` commands the images and the unit start are run directly, the
way the image runs them (corpus read from its own folder, data in its own folder, a working
directory and home that must stay untouched).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yaml"
UNIT = DEPLOY / "talentbot.service"
SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSWORD", re.IGNORECASE)
BUILD_TOOLS = re.compile(
    r"\b(build-essential|gcc|g\+\+|clang|make|cmake|[\w.+-]+-dev)\b"
)


# -- helpers ----------------------------------------------------------------------------
def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any talentbot, Discord, Chroma or LLM setting."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("TALENTBOT_", "DISCORD_", "CHROMA_", "LLM_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def talentbot(*args: str, cwd: Path, env: dict[str, str], timeout: float = 60) -> (
    subprocess.CompletedProcess[str]
):
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env, capture_output=True,
        text=True, timeout=timeout, check=False,
    )


@cache
def subcommands() -> frozenset[str]:
    """The subcommands `talentbot --help` lists, e.g. {ingest,ask,...,serve}."""
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--help"], cwd=ROOT, env=clean_env(),
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout
    match = re.search(r"\{([a-z][a-z,-]+)\}", out)
    assert match, f"no subcommand list in talentbot --help:\n{out}"
    return frozenset(match.group(1).split(","))


def assert_talentbot_command(argv: list[str], where: str) -> None:
    """argv starts a talentbot subcommand that exists (options checked against its --help)."""
    assert Path(argv[0]).name == "talentbot", f"{where}: {argv} does not run talentbot"
    assert len(argv) > 1 and argv[1] in subcommands(), (
        f"{where}: `{' '.join(argv)}`: no such subcommand (talentbot has {sorted(subcommands())})"
    )
    options = [a.split("=")[0] for a in argv[2:] if a.startswith("--")]
    if options:
        help_text = subprocess.run(
            [sys.executable, "-m", "bot.cli", argv[1], "--help"], cwd=ROOT, env=clean_env(),
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout
        for option in options:
            assert option in help_text, f"{where}: talentbot {argv[1]} has no {option}"


# -- Dockerfile ---------------------------------------------------------------------------
def dockerfile_instructions(path: Path = DOCKERFILE) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: continuations joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # comments inside a continuation are dropped too, as docker does
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), args.strip()))
    assert not pending, "the Dockerfile ends inside a line continuation"
    return out


def stages() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(stage name, instructions)], global ARGs before the first FROM under ''."""
    result: list[tuple[str, list[tuple[str, str]]]] = [("", [])]
    for instruction, args in dockerfile_instructions():
        if instruction == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else ""
            result.append((name, [(instruction, args)]))
        else:
            result[-1][1].append((instruction, args))
    return result


def arg_defaults(instructions: list[tuple[str, str]]) -> dict[str, str]:
    defaults = {}
    for instruction, args in instructions:
        if instruction == "ARG" and "=" in args:
            name, _, value = args.partition("=")
            defaults[name.strip()] = value.strip().strip('"')
    return defaults


def expand(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)",
                  lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), value)


def final_stage() -> list[tuple[str, str]]:
    return stages()[-1][1]


def test_dockerfile_is_multi_stage_on_a_pinned_slim_python() -> None:
    global_args = arg_defaults(stages()[0][1])
    built = stages()[1:]
    assert len(built) >= 2, "expected a builder stage and a runtime stage"
    names = [name for name, _ in built]
    assert names[0] and names[0] != names[-1], names
    for _, instructions in built:
        base = expand(instructions[0][1].split()[0], global_args)
        image, _, tag = base.partition(":")
        assert image == "python" and tag.startswith("3.11") and "slim" in tag, base
        assert re.match(r"3\.11\.\d+-slim", tag), f"{base}: pin a patch version tag"
    # only the venv crosses from the builder into the final image
    copies_from = [args for ins, args in final_stage() if ins == "COPY" and "--from" in args]
    assert copies_from and all(a.split()[-1] == "/opt/venv" for a in copies_from), copies_from


def test_dockerfile_runs_as_a_non_root_user() -> None:
    instructions = final_stage()
    users = [args for ins, args in instructions if ins == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    variables = {**arg_defaults(stages()[0][1]), **arg_defaults(instructions)}
    user = expand(users[-1], variables).split(":")[0]
    assert user not in {"root", "0"}, f"USER {users[-1]} is root"
    # the USER comes after every RUN (nothing later runs as root by accident)
    last_user = max(i for i, (ins, _) in enumerate(instructions) if ins == "USER")
    assert all(ins != "RUN" for ins, _ in instructions[last_user:])


def test_dockerfile_final_stage_installs_no_build_tools() -> None:
    for instruction, args in final_stage():
        if instruction == "RUN":
            installs = re.findall(
                r"(?:apt-get|apt|apk|yum|dnf)\s+(?:-\S+\s+)*(?:install|add)\s+([^&;|]*)", args
            )
            for packages in installs:
                assert not BUILD_TOOLS.search(packages), f"build tools in the final stage: {args}"
            assert "pip install" not in args, f"pip install in the final stage: {args}"


def test_dockerfile_has_the_runtime_contract() -> None:
    instructions = final_stage()
    by_name: dict[str, list[str]] = {}
    for instruction, args in instructions:
        by_name.setdefault(instruction, []).append(args)

    healthcheck = by_name.get("HEALTHCHECK", [])
    assert healthcheck, "no HEALTHCHECK"
    cmd = healthcheck[-1].split(" CMD ", 1)[-1]
    argv = yaml.safe_load(cmd) if cmd.startswith("[") else shlex.split(cmd)
    assert argv == ["talentbot", "doctor", "--quiet", "--gateway"], argv
    assert_talentbot_command(argv, "HEALTHCHECK")

    assert yaml.safe_load(by_name["ENTRYPOINT"][-1]) == ["talentbot"]
    assert yaml.safe_load(by_name["CMD"][-1]) == ["serve"]
    assert_talentbot_command(["talentbot", *yaml.safe_load(by_name["CMD"][-1])], "CMD")
    assert any("/data" in v for v in by_name.get("VOLUME", [])), "no VOLUME /data"

    env = " ".join(by_name.get("ENV", []))
    assert re.search(r"\bTALENTBOT_DATA_DIR=/data\b", env)
    corpus_env = r"\bTALENTBOT_CORPUS_DIR=/app/corpus/articles\b"  # pragma: allowlist secret
    assert re.search(corpus_env, env)


def test_dockerfile_bakes_in_the_model_and_the_corpus() -> None:
    builder = stages()[1][1]
    copied = [args.split()[0] for ins, args in builder if ins == "COPY" and "--from" not in args]
    assert "index/" in copied, "the builder does not copy index/ (which holds the model)"
    # the builder checks the installed package really has the model (sha256 from model.json)
    assert any("verify_model_files" in args for ins, args in builder if ins == "RUN")
    # ... which works because the model is package data of `index`
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'index\s*=\s*\[\s*"models/\*/\*"', pyproject)
    assert (ROOT / "index" / "models" / "all-MiniLM-L6-v2" / "model.onnx").is_file()

    final_copies = [args.split() for ins, args in final_stage() if ins == "COPY"]
    assert ["corpus/", "/app/corpus/"] in [c[-2:] for c in final_copies], final_copies


# -- .dockerignore ------------------------------------------------------------------------
def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) per pattern, in Docker's syntax (`**`, `*`, `?`, leading `!`)."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif pattern.startswith("**", i):
                regex += ".*"
                i += 2
            elif pattern[i] == "*":
                regex += "[^/]*"
                i += 1
            elif pattern[i] == "?":
                regex += "[^/]"
                i += 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex += pattern[i:end + 1]
                i = end + 1
            else:
                regex += re.escape(pattern[i])
                i += 1
        rules.append((negated, re.compile(regex + r"\Z")))
    return rules


def docker_ignores(path: str) -> bool:
    """Whether the build context leaves `path` out (last matching rule wins; a rule that
    matches a parent folder matches everything in it), as Docker's pattern matcher does."""
    parts = path.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    excluded = False
    for negated, regex in dockerignore_rules():
        if any(regex.match(c) for c in candidates):
            excluded = not negated
    return excluded


@pytest.mark.parametrize("path", [
    ".venv/bin/python", ".venv-bench/bin/python", ".venv-deploy/bin/hadolint",
    "data/chroma/chroma.sqlite3", "data/bot.sqlite3", ".env", ".git/config",
    "bench-results/bench.json", "tests/conftest.py", ".mypy_cache/x.json",
    "index/__pycache__/engine.cpython-311.pyc", "index/.ruff_cache/CACHEDIR.TAG",
    "talentbot.egg-info/PKG-INFO", ".hypothesis/examples/x",
])
def test_dockerignore_keeps_out(path: str) -> None:
    assert docker_ignores(path), f"{path} would be sent to the Docker build"


@pytest.mark.parametrize("path", [
    "pyproject.toml", "constraints.txt", "README.md", "index/engine.py", "bot/cli.py",
    "index/models/all-MiniLM-L6-v2/model.onnx", "index/models/all-MiniLM-L6-v2/model.json",
    "corpus/articles/000_7ad085f68d0b14a3.md", "corpus/organisations.yaml",
])
def test_dockerignore_lets_in_what_the_image_needs(path: str) -> None:
    assert (ROOT / path).exists(), path
    assert not docker_ignores(path), f"{path} is needed by the Dockerfile but ignored"


def test_every_dockerfile_copy_source_is_in_the_context() -> None:
    for _, instructions in stages()[1:]:
        for instruction, args in instructions:
            if instruction in {"COPY", "ADD"} and "--from" not in args:
                for source in args.split()[:-1]:
                    if source.startswith("--"):
                        continue
                    assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                    assert not docker_ignores(source.rstrip("/")), f"COPY {source}: ignored"


# -- compose.yaml -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return doc


def pinned(package: str) -> str:
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise AssertionError(f"{package} is not pinned in constraints.txt")


def test_compose_has_chroma_ingest_and_bot(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) >= {"chroma", "ingest", "bot"}

    chroma = services["chroma"]
    assert chroma["image"] == f"chromadb/chroma:{pinned('chromadb')}"
    assert chroma["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
    assert any(str(v).split(":")[0] in compose["volumes"] for v in chroma["volumes"])

    ingest, bot = services["ingest"], services["bot"]
    assert ingest["command"] == ["ingest", "--allow-skips"]  # a bad article must not stop the bot
    assert ingest["restart"] == "no" or "profiles" in ingest
    assert ingest["depends_on"]["chroma"]["condition"] == "service_healthy"

    assert bot["command"] == ["serve"]
    assert bot["restart"] == "unless-stopped"
    assert bot["depends_on"]["ingest"]["condition"] == "service_completed_successfully"
    assert bot["depends_on"]["chroma"]["condition"] == "service_healthy"
    assert bot["healthcheck"]["test"][1:] == ["talentbot", "doctor", "--quiet", "--gateway"]

    for name in ("ingest", "bot"):
        service = services[name]
        assert_talentbot_command(["talentbot", *service["command"]], f"compose {name}")
        env = service["environment"]
        assert env["CHROMA_HOST"] == "chroma" and str(env["CHROMA_PORT"]) == "8000"
        assert env["TALENTBOT_DATA_DIR"] == "/data"
        env_files = [e["path"] if isinstance(e, dict) else e for e in service["env_file"]]
        assert env_files == ["../.env"], env_files
        # move records, keyword cache, lock and feedback: the same volume for both
        assert "talentbot-data:/data" in service["volumes"]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (COMPOSE.parent / service["build"]["context"] / "deploy/Dockerfile").is_file()


def secret_values(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(where, value) for every mapping key or KEY=VALUE item whose name looks secret."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if SECRET_NAME.search(str(key)) and not isinstance(value, dict | list):
                yield where, value
            yield from secret_values(value, where)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, str) and "=" in item:
                name, _, value = item.partition("=")
                if SECRET_NAME.search(name):
                    yield f"{path}[{i}]", value
            yield from secret_values(item, f"{path}[{i}]")


def test_compose_has_no_inline_secret(compose: dict[str, Any]) -> None:
    found = list(secret_values(compose))
    literal = [
        (where, value) for where, value in found
        if value not in (None, "") and not re.fullmatch(r"\$\{\w+(:?[-?][^}]*)?\}", str(value))
    ]
    assert not literal, f"secret-looking settings with a value in compose.yaml: {literal}"
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()


def test_secret_scan_catches_inline_values() -> None:
    doc = {"services": {"bot": {"environment": {"DISCORD_TOKEN": "abc"}}},
           "x": {"environment": ["LLM_API_KEY=sk-1", "TALENTBOT_TOP_K=8"]}}
    assert [w for w, _ in secret_values(doc)] == [
        ".services.bot.environment.DISCORD_TOKEN", ".x.environment[0]"]


# -- talentbot.service ----------------------------------------------------------------------
def unit_entries() -> list[tuple[str, str, str]]:
    """(section, key, value) in order; repeated keys kept (configparser would merge them)."""
    entries, section = [], ""
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, sep, value = line.partition("=")
        assert sep, f"talentbot.service: not a key=value line: {raw!r}"
        entries.append((section, key.strip(), value.strip()))
    return entries


def unit_values(key: str, section: str = "Service") -> list[str]:
    return [v for s, k, v in unit_entries() if s == section and k == key]


def test_unit_runs_talentbot_ingest_then_serve() -> None:
    pre, start = unit_values("ExecStartPre"), unit_values("ExecStart")
    assert len(start) == 1 and pre
    for where, line in [("ExecStartPre", p) for p in pre] + [("ExecStart", start[0])]:
        argv = shlex.split(line.lstrip("-@:+!"))
        assert argv[0].startswith(unit_values("WorkingDirectory")[0] + "/"), argv[0]
        assert_talentbot_command(argv, where)
    assert shlex.split(pre[0])[1:] == ["ingest", "--allow-skips"]
    assert shlex.split(start[0])[1:] == ["serve"]


def test_unit_is_hardened_and_writes_only_its_data_dir() -> None:
    def one(key: str) -> str:
        values = unit_values(key)
        assert values, f"talentbot.service sets no {key}"
        return values[-1]

    assert one("User") not in {"root", "0"}
    assert one("Restart") == "on-failure"
    assert one("EnvironmentFile").lstrip("-").startswith("/etc/")
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "PrivateTmp": "yes", "ProtectHome": "yes"}.items():
        assert one(key) == value, key
    env = dict(v.split("=", 1) for v in unit_values("Environment"))
    assert env["TALENTBOT_DATA_DIR"] in one("ReadWritePaths").split()
    assert env["TALENTBOT_CORPUS_DIR"].startswith(one("WorkingDirectory") + "/")
    assert unit_values("WantedBy", "Install") == ["multi-user.target"]


# -- README ---------------------------------------------------------------------------------
def readme_subcommands(text: str) -> set[str]:
    """Subcommands the README's code (fenced blocks and `inline` spans) runs: after a
    `talentbot` program or image (`.../talentbot`, `talentbot:0.1.0`), after the `tb`
    helper, after `run --rm bot|ingest`; not after `exec`, `-u`, `--name`... (there
    `talentbot` is a container or a user)."""
    fence = re.compile(r"```[^\n]*\n(.*?)```", re.DOTALL)
    lines = [line for block in fence.findall(text) for line in block.splitlines()]
    lines += re.findall(r"`([^`]+)`", fence.sub("", text))  # may wrap across lines
    not_program = {"exec", "-u", "-g", "-o", "-t", "--name", "restart", "status", "security"}
    named = set()
    for line in lines:
        tokens = line.split()
        for i, token in enumerate(tokens[:-1]):
            following = tokens[i + 1]
            if not re.fullmatch(r"[a-z][a-z-]+", following):
                continue
            program = re.fullmatch(r"(?:\S*/)?talentbot(?::[\w.-]+)?", token)
            after_run = token in {"bot", "ingest"} and tokens[i - 2:i] == ["run", "--rm"]
            if (program and (i == 0 or tokens[i - 1] not in not_program)) or token == "tb" \
                    or after_run:
                named.add(following)
    return named


def test_deploy_readme_only_names_real_subcommands() -> None:
    named = readme_subcommands((DEPLOY / "README.md").read_text(encoding="utf-8"))
    assert {"ingest", "serve", "backup", "restore", "doctor"} <= named, named
    assert named <= subcommands(), f"not talentbot subcommands: {sorted(named - subcommands())}"


# -- the commands the images run, run here -----------------------------------------------
@pytest.fixture(scope="module")
def image_like(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A corpus copy, an empty data dir, and an empty working dir and home (which the
    image's /app and read-only root keep unwritable: nothing may be written there)."""
    base = tmp_path_factory.mktemp("image")
    dirs = {name: base / name for name in ("app", "data", "home", "tmp")}
    for d in dirs.values():
        d.mkdir()
    shutil.copytree(ROOT / "corpus", dirs["app"] / "corpus")
    return dirs


def image_env(dirs: dict[str, Path], **extra: str) -> dict[str, str]:
    return clean_env(
        TALENTBOT_DATA_DIR=str(dirs["data"]),
        TALENTBOT_CORPUS_DIR=str(dirs["app"] / "corpus" / "articles"),
        HOME=str(dirs["home"]), MPLCONFIGDIR=str(dirs["tmp"] / "matplotlib"),
        ORT_DISABLE_TELEMETRY="1", PYTHONDONTWRITEBYTECODE="1", **extra,
    )


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*")}


def test_ingest_then_doctor_as_the_image_runs_them(image_like: dict[str, Path]) -> None:
    app, env = image_like["app"], image_env(image_like)
    corpus_before = snapshot(app)

    before = talentbot("doctor", "--quiet", cwd=app, env=env)
    assert before.returncode != 0, "doctor calls an empty data dir healthy"

    result = talentbot("ingest", cwd=app, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (image_like["data"] / "moves.sqlite3").is_file()

    health = talentbot("doctor", "--quiet", cwd=app, env=env)
    assert health.returncode == 0, health.stdout + health.stderr

    # The health check proper also needs the running bot's gateway: none is running.
    no_bot = talentbot("doctor", "--gateway", cwd=app, env=env)
    assert no_bot.returncode == 1 and "discord gateway: no status file" in no_bot.stdout
    status = image_like["data"] / "bot-status.json"
    status.write_text(json.dumps({"updated": time.time(), "connected": True,
                                  "shards": {"0": {"connected": True, "latency_ms": 41.0}}}))
    try:
        live = talentbot("doctor", "--quiet", "--gateway", cwd=app, env=env)
        assert live.returncode == 0, live.stdout + live.stderr
    finally:
        status.unlink()

    assert snapshot(app) == corpus_before, "ingest wrote into the working dir or the corpus"
    assert not any(image_like["home"].iterdir()), "something wrote into $HOME"


def test_serve_without_a_token_is_one_clear_line(image_like: dict[str, Path]) -> None:
    result = talentbot("serve", cwd=image_like["app"], env=image_env(image_like))
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "DISCORD_TOKEN" in lines[0] and "Traceback" not in result.stderr
