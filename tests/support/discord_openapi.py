"""Judge requests by Discord's own published API description (discord/discord-api-spec).

The description is read where it sits, never copied into this repository: the path in
``DISCORD_OPENAPI_SPEC``, else ``shared/discord-api-spec/openapi.json`` in a folder above
the checkout. Each request the test server receives is checked for

- a route and method that exist in the description (``/channels/{channel_id}/messages``…),
- query parameters the operation declares (booleans and integers that parse),
- a JSON body (or a multipart ``payload_json``) that validates against the operation's
  ``application/json`` request schema, with ``jsonschema``'s draft 2020-12 validator (the
  dialect OpenAPI 3.1 uses).

The limits the description does not encode (content 2,000, embed sizes, component counts)
stay in ``discord_limits``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SPEC_ENV = "DISCORD_OPENAPI_SPEC"
_RELATIVE = Path("shared") / "discord-api-spec" / "openapi.json"
_BASE_URI = "urn:discord-openapi"
_TRUE_FALSE = {"true", "false", "1", "0", "True", "False"}


def spec_location() -> Path:
    """Where the description is looked for (it may not exist)."""
    configured = os.environ.get(SPEC_ENV)
    if configured:
        return Path(configured)
    here = Path(__file__).resolve().parents[2]  # the checkout
    for folder in (here, *here.parents):
        if (folder / _RELATIVE).is_file():
            return folder / _RELATIVE
    return here.parent / _RELATIVE


@dataclass(frozen=True)
class Problem:
    path: tuple[str | int, ...]  # where in the body ((): the request itself)
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Operation:
    template: str  # e.g. "/channels/{channel_id}/messages"
    method: str
    spec: dict[str, Any]
    parameters: tuple[dict[str, Any], ...]


class OpenApiJudge:
    def __init__(self, spec: dict[str, Any], source: Path | None = None) -> None:
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        self.spec = spec
        self.source = source
        self.version = str(spec.get("info", {}).get("version", "?"))
        resource = Resource.from_contents(spec, default_specification=DRAFT202012)
        self._registry: Any = Registry().with_resource(_BASE_URI, resource)
        self._templates: list[tuple[tuple[str, ...], str]] = sorted(
            ((tuple(t.strip("/").split("/")), t) for t in spec.get("paths", {})),
            # literal segments win over parameters ("@original" before "{message_id}")
            key=lambda item: sum(part.startswith("{") for part in item[0]),
        )

    def operation(self, method: str, path: str) -> Operation | None:
        parts = tuple(path.strip("/").split("/"))
        for template_parts, template in self._templates:
            if len(template_parts) != len(parts):
                continue
            if all(t.startswith("{") or t == p for t, p in zip(template_parts, parts, strict=True)):
                item = self.spec["paths"][template]
                op = item.get(method.lower())
                if op is None:
                    continue
                params = tuple(item.get("parameters", [])) + tuple(op.get("parameters", []))
                return Operation(template, method.upper(), op, params)
        return None

    def problems(self, method: str, path: str, query: dict[str, str], body: Any,
                 has_body: bool) -> list[Problem]:
        """What is wrong with this request by the description; [] when nothing is."""
        op = self.operation(method, path)
        if op is None:
            return [Problem((), f"{method} {path}: no such route and method in Discord's "
                                 "API description")]
        route = f"{op.method} {op.template}"
        found = [*self._query_problems(op, query)]
        request_body = op.spec.get("requestBody")
        if request_body is None:
            if has_body and body not in (None, {}, []):
                found.append(Problem((), f"{route} takes no request body"))
            return found
        if not has_body:
            if request_body.get("required"):
                found.append(Problem((), f"{route}: the request body is required"))
            return found
        if "application/json" not in request_body.get("content", {}):
            return found
        validator = self._validator(op.template, op.method.lower())
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
            where = tuple(error.absolute_path)
            shown = "/".join(str(p) for p in where) or "(body)"
            found.append(Problem(where, f"{route}: {shown}: {_short(error)}"))
        return found

    def _query_problems(self, op: Operation, query: dict[str, str]) -> list[Problem]:
        declared = {p["name"]: p for p in op.parameters if p.get("in") == "query"}
        route = f"{op.method} {op.template}"
        found = []
        for name, value in query.items():
            param = declared.get(name)
            if param is None:
                found.append(Problem((), f"{route}: unknown query parameter {name!r}"))
                continue
            kind = (param.get("schema") or {}).get("type")
            if kind == "boolean" and value not in _TRUE_FALSE:
                found.append(Problem((), f"{route}: {name}={value!r} is not a boolean"))
            elif kind == "integer" and not re.fullmatch(r"-?\d+", value):
                found.append(Problem((), f"{route}: {name}={value!r} is not an integer"))
        return found

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one judge per process
    def _validator(self, template: str, method: str) -> Any:
        pointer = "/".join(
            part.replace("~", "~0").replace("/", "~1")
            for part in ("paths", template, method, "requestBody", "content",
                         "application/json", "schema")
        )
        schema = {"$ref": f"{_BASE_URI}#/{pointer}"}
        return _snowflake_validator()(schema, registry=self._registry)


@functools.cache
def _snowflake_validator() -> Any:
    """Draft 2020-12, where a snowflake may also be sent as a JSON integer: Discord parses
    both (discord.py sends new attachments' ids as 0, 1, …), the description says string."""
    from jsonschema import Draft202012Validator, validators

    plain_type = Draft202012Validator.VALIDATORS["type"]

    def type_or_snowflake(validator: Any, types: Any, instance: Any, schema: Any) -> Any:
        if (schema.get("format") == "snowflake" and type(instance) is int and instance >= 0):
            return
        yield from plain_type(validator, types, instance, schema)

    return validators.extend(Draft202012Validator, {"type": type_or_snowflake})


def _short(error: Any) -> str:
    """The validator's message, cut (a failed anyOf quotes the whole payload)."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        best = min(error.context, key=lambda e: len(list(e.absolute_path)) * -1)
        inner = "/".join(str(p) for p in best.absolute_path)
        return f"matches no allowed shape (e.g. {inner or '(body)'}: {best.message[:160]})"
    return str(error.message)[:240]


@functools.cache
def load_judge() -> OpenApiJudge | None:
    """The judge, or None when the description is not on this machine."""
    path = spec_location()
    if not path.is_file():
        return None
    return OpenApiJudge(json.loads(path.read_text(encoding="utf-8")), path)
