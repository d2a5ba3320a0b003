"""Every YAML file the project reads (front matter, organisations, overrides, eval sets).

`yaml.safe_load` refuses Python objects but still expands anchors, aliases and merge keys:
a 1 KB front matter whose merge keys each double the one before takes minutes and
gigabytes. None of our files needs them, so the loader refuses them outright (before any
expansion happens), bounds the text's size and the nesting depth (deep nesting otherwise
ends in a RecursionError). Parsing is then linear in the text's length.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node

MAX_DEPTH = 32
MAX_CHARS = 4_000_000  # organisations.yaml and moves.yaml are a few KB
_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlRefusedError(ComposerError):
    """The text uses a YAML feature we refuse (anchor, alias, merge key) or is too deep."""


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases and merge keys, and bounds the depth."""

    max_depth = MAX_DEPTH

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        mark: Any = event.start_mark
        if isinstance(event, AliasEvent):
            raise YamlRefusedError(None, None, "YAML aliases (*name) are not allowed", mark)
        if getattr(event, "anchor", None) is not None:
            raise YamlRefusedError(None, None, "YAML anchors (&name) are not allowed", mark)
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise YamlRefusedError(
                    None, None, f"YAML nested deeper than {self.max_depth} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def flatten_mapping(self, node: MappingNode) -> None:
        for key, _ in node.value:
            if key.tag == _MERGE_TAG:
                raise YamlRefusedError(
                    None, None, "YAML merge keys (<<) are not allowed", key.start_mark
                )
        super().flatten_mapping(node)


def safe_load(text: str, *, max_chars: int = MAX_CHARS) -> Any:
    """The YAML document in `text`, or yaml.YAMLError (YamlRefusedError for what we refuse).

    Constructors may also raise ValueError (a date such as 2024-02-30, an integer too long
    to convert); callers that show the reason catch it with YAMLError."""
    if len(text) > max_chars:
        raise YamlRefusedError(None, None, f"YAML text over {max_chars:,} characters", None)
    loader = _Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def reason(exc: BaseException) -> str:
    """One short line saying what is wrong, for a report or an error message."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem:
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return f"{problem}{where}"[:200]
    text = str(exc).splitlines()[0] if str(exc) else "syntax error"
    return text[:200]
