"""The limits Discord enforces server-side (discord.py checks none of them).

Violations become HTTP 400 with Discord's error shape::

    {"code": 50035, "message": "Invalid Form Body",
     "errors": {"embeds": {"0": {"title": {"_errors": [{"code": ..., "message": ...}]}}}}}
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
MAX_FILES = 10
EPHEMERAL = 1 << 6
SUPPRESS_EMBEDS = 1 << 2
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_COMPONENTS_V2 = 1 << 15
SETTABLE_FLAGS = SUPPRESS_EMBEDS | EPHEMERAL | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2

_URL_SCHEMES = ("http://", "https://", "attachment://")
_SELECT_TYPES = (3, 5, 6, 7, 8)
_COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")


class ApiError(Exception):
    """An error response the fake API sends back (status + Discord JSON error body)."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        raw_body: dict[str, Any] | None = None,
        judged: bool = False,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.judged = judged  # already recorded as a violation by the API-description judge
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.raw_body = raw_body

    def body(self) -> dict[str, Any]:
        if self.raw_body is not None:
            return self.raw_body
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


class FormErrors:
    """Accumulates Discord-style nested ``errors`` for a 50035 response."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: Sequence[str | int], code: str, message: str) -> None:
        node = self.errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_len(self, path: Sequence[str | int], value: Any, limit: int) -> None:
        if isinstance(value, (str, list)) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def required(self, path: Sequence[str | int], value: Any) -> bool:
        if value is None or value == "":
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return False
        return True

    def raise_if_any(self) -> None:
        if self.errors:
            raise ApiError(400, 50035, "Invalid Form Body", self.errors)


def empty_message_error() -> ApiError:
    return ApiError(400, 50006, "Cannot send an empty message")


def is_empty_message(message: dict[str, Any]) -> bool:
    """Discord's notion of an empty message (50006)."""
    if (message.get("content") or "").strip():
        return False
    if message.get("embeds") or message.get("attachments") or message.get("sticker_ids"):
        return False
    if message.get("poll"):
        return False
    return not (int(message.get("flags") or 0) & IS_COMPONENTS_V2 and message.get("components"))


def validate_message(
    payload: dict[str, Any], errs: FormErrors, path: Sequence[str | int] = ()
) -> None:
    """Check content/embeds/components/allowed_mentions/attachments limits of a payload."""
    path = tuple(path)
    errs.max_len((*path, "content"), payload.get("content"), MAX_CONTENT)
    flags = int(payload.get("flags") or 0)
    v2 = bool(flags & IS_COMPONENTS_V2)
    embeds = payload.get("embeds")
    if embeds is None and payload.get("embed") is not None:
        embeds = [payload["embed"]]
    if embeds:
        validate_embeds(embeds, errs, (*path, "embeds"))
    if v2 and payload.get("content"):
        errs.add((*path, "content"), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                 "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2")
    if v2 and embeds:
        errs.add((*path, "embeds"), "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                 "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2")
    if payload.get("components"):
        validate_components(payload["components"], errs, (*path, "components"), v2=v2)
    if payload.get("allowed_mentions") is not None:
        validate_allowed_mentions(payload["allowed_mentions"], errs, (*path, "allowed_mentions"))
    attachments = payload.get("attachments")
    if isinstance(attachments, list):
        errs.max_len((*path, "attachments"), attachments, MAX_FILES)


def validate_embeds(embeds: list[dict[str, Any]], errs: FormErrors, path: tuple[Any, ...]) -> None:
    errs.max_len(path, embeds, MAX_EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        p = (*path, i)
        title, description = embed.get("title"), embed.get("description")
        errs.max_len((*p, "title"), title, 256)
        errs.max_len((*p, "description"), description, 4096)
        total += len(title or "") + len(description or "")
        fields = embed.get("fields") or []
        errs.max_len((*p, "fields"), fields, 25)
        for j, fld in enumerate(fields):
            fp = (*p, "fields", j)
            if errs.required((*fp, "name"), fld.get("name")):
                errs.max_len((*fp, "name"), fld["name"], 256)
            if errs.required((*fp, "value"), fld.get("value")):
                errs.max_len((*fp, "value"), fld["value"], 1024)
            total += len(fld.get("name") or "") + len(fld.get("value") or "")
        footer = embed.get("footer")
        if footer is not None:
            if errs.required((*p, "footer", "text"), footer.get("text")):
                errs.max_len((*p, "footer", "text"), footer["text"], 2048)
            total += len(footer.get("text") or "")
            _check_url(errs, (*p, "footer", "icon_url"), footer.get("icon_url"))
        author = embed.get("author")
        if author is not None:
            if errs.required((*p, "author", "name"), author.get("name")):
                errs.max_len((*p, "author", "name"), author["name"], 256)
            total += len(author.get("name") or "")
            _check_url(errs, (*p, "author", "url"), author.get("url"))
            _check_url(errs, (*p, "author", "icon_url"), author.get("icon_url"))
        _check_url(errs, (*p, "url"), embed.get("url"))
        for key in ("image", "thumbnail"):
            if embed.get(key) is not None:
                _check_url(errs, (*p, key, "url"), embed[key].get("url"))
        color = embed.get("color")
        if color is not None and not 0 <= int(color) <= 0xFFFFFF:
            errs.add((*p, "color"), "NUMBER_TYPE_MAX", "int value should be <= 16777215 and >= 0.")
    if total > MAX_EMBED_TOTAL:
        errs.add(path, "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")


def _check_url(errs: FormErrors, path: tuple[Any, ...], url: Any) -> None:
    if url is not None and not (isinstance(url, str) and url.startswith(_URL_SCHEMES)):
        errs.add(path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        if component.get("accessory"):
            yield from walk_components([component["accessory"]])


def validate_components(
    components: list[dict[str, Any]], errs: FormErrors, path: tuple[Any, ...], *, v2: bool
) -> None:
    if v2:
        if sum(1 for _ in walk_components(components)) > 40:
            errs.add(path, "BASE_TYPE_MAX_LENGTH", "Must be 40 or fewer in length.")
    elif len(components) > 5:
        errs.add(path, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
    seen: set[str] = set()
    for i, component in enumerate(components):
        _validate_component(component, errs, (*path, i), seen, top_level=not v2)


def _validate_component(
    component: dict[str, Any],
    errs: FormErrors,
    path: tuple[Any, ...],
    seen: set[str],
    *,
    top_level: bool,
) -> None:
    ctype = component.get("type")
    if top_level and ctype != 1:
        errs.add((*path, "type"), "COMPONENT_TYPE_INVALID",
                 "Top level components must be action rows")
    if ctype == 1:
        children = component.get("components") or []
        if not 1 <= len(children) <= 5:
            errs.add((*path, "components"), "BASE_TYPE_BAD_LENGTH",
                     "Must be between 1 and 5 in length.")
        width = sum(5 if c.get("type") in _SELECT_TYPES or c.get("type") == 4 else 1
                    for c in children)
        if width > 5:
            errs.add((*path, "components"), "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                     "The specified component exceeds the maximum width")
        for j, child in enumerate(children):
            _validate_component(child, errs, (*path, "components", j), seen, top_level=False)
        return
    custom_id = component.get("custom_id")
    if custom_id is not None:
        errs.max_len((*path, "custom_id"), custom_id, 100)
        if custom_id in seen:
            errs.add((*path, "custom_id"), "COMPONENT_CUSTOM_ID_DUPLICATED",
                     "Component custom id cannot be duplicated")
        seen.add(custom_id)
    if ctype == 2:
        errs.max_len((*path, "label"), component.get("label"), 80)
        if component.get("style") == 5:
            if not errs.required((*path, "url"), component.get("url")):
                return
            _check_url(errs, (*path, "url"), component["url"])
        elif component.get("style") != 6:
            errs.required((*path, "custom_id"), custom_id)
    elif ctype in _SELECT_TYPES:
        errs.required((*path, "custom_id"), custom_id)
        errs.max_len((*path, "placeholder"), component.get("placeholder"), 150)
        if ctype == 3:
            options = component.get("options") or []
            if not 1 <= len(options) <= 25:
                errs.add((*path, "options"), "BASE_TYPE_BAD_LENGTH",
                         "Must be between 1 and 25 in length.")
            for k, option in enumerate(options):
                for key in ("label", "value", "description"):
                    errs.max_len((*path, "options", k, key), option.get(key), 100)
    elif ctype == 4:
        errs.required((*path, "custom_id"), custom_id)
        errs.max_len((*path, "label"), component.get("label"), 45)
        errs.max_len((*path, "value"), component.get("value"), 4000)
        errs.max_len((*path, "placeholder"), component.get("placeholder"), 100)
    else:
        for j, child in enumerate(component.get("components") or []):
            _validate_component(child, errs, (*path, "components", j), seen, top_level=False)
        if component.get("accessory"):
            _validate_component(component["accessory"], errs, (*path, "accessory"), seen,
                                top_level=False)


def validate_allowed_mentions(am: dict[str, Any], errs: FormErrors, path: tuple[Any, ...]) -> None:
    parse = am.get("parse") or []
    for i, value in enumerate(parse):
        if value not in ("users", "roles", "everyone"):
            errs.add((*path, "parse", i), "ENUM_TYPE_COERCE",
                     f'Value "{value}" is not a valid enum value.')
    for kind in ("users", "roles"):
        if kind in parse and am.get(kind):
            errs.add(path, "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                     f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.')
        errs.max_len((*path, kind), am.get(kind), 100)


def validate_choices(data: dict[str, Any], errs: FormErrors) -> None:
    choices = data.get("choices") or []
    errs.max_len(("data", "choices"), choices, 25)
    for i, choice in enumerate(choices):
        name = choice.get("name")
        if errs.required(("data", "choices", i, "name"), name):
            errs.max_len(("data", "choices", i, "name"), name, 100)
        errs.max_len(("data", "choices", i, "value"), choice.get("value"), 100)


def validate_modal(data: dict[str, Any], errs: FormErrors) -> None:
    if errs.required(("data", "title"), data.get("title")):
        errs.max_len(("data", "title"), data["title"], 45)
    if errs.required(("data", "custom_id"), data.get("custom_id")):
        errs.max_len(("data", "custom_id"), data["custom_id"], 100)
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        errs.add(("data", "components"), "BASE_TYPE_BAD_LENGTH",
                 "Must be between 1 and 5 in length.")
    seen: set[str] = set()
    for i, component in enumerate(components):
        _validate_component(component, errs, ("data", "components", i), seen, top_level=False)


def validate_commands(commands: list[dict[str, Any]], errs: FormErrors) -> None:
    """Bulk-overwrite validation: names, descriptions, option ordering, counts."""
    errs.max_len((), commands, 100)
    names: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        ctype = int(command.get("type") or 1)
        name = command.get("name") or ""
        if (ctype, name) in names:
            errs.add((i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME",
                     f"Application command names must be unique: {name}")
        names.add((ctype, name))
        if ctype == 1:
            _validate_name_description(command, errs, (i,))
            _validate_options(command.get("options") or [], errs, (i, "options"))
        else:
            errs.max_len((i, "name"), name, 32)


def _validate_name_description(
    obj: dict[str, Any], errs: FormErrors, path: tuple[Any, ...]
) -> None:
    name = obj.get("name") or ""
    if not _COMMAND_NAME.match(name) or name != name.lower():
        errs.add((*path, "name"), "APPLICATION_COMMAND_INVALID_NAME",
                 f"Command name is invalid: {name!r}")
    description = obj.get("description") or ""
    if not 1 <= len(description) <= 100:
        errs.add((*path, "description"), "BASE_TYPE_BAD_LENGTH",
                 "Must be between 1 and 100 in length.")


def _validate_options(
    options: list[dict[str, Any]], errs: FormErrors, path: tuple[Any, ...]
) -> None:
    errs.max_len(path, options, 25)
    seen_optional = False
    names: set[str] = set()
    for i, option in enumerate(options):
        p = (*path, i)
        _validate_name_description(option, errs, p)
        if option.get("name") in names:
            errs.add((*p, "name"), "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                     "Option names must be unique")
        names.add(option.get("name") or "")
        if option.get("type") in (1, 2):
            _validate_options(option.get("options") or [], errs, (*p, "options"))
            continue
        if option.get("required"):
            if seen_optional:
                errs.add(p, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                         "Required options must be placed before non-required options")
        else:
            seen_optional = True
        choices = option.get("choices") or []
        errs.max_len((*p, "choices"), choices, 25)
        for j, choice in enumerate(choices):
            errs.max_len((*p, "choices", j, "name"), choice.get("name"), 100)
            errs.max_len((*p, "choices", j, "value"), choice.get("value"), 100)
