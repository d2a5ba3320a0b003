"""Text that talks to the machine instead of the reader: prompt injection.

An article (or a question) may carry instructions aimed at a model ("ignore your
instructions", "reveal your system prompt", "mentionne @everyone"). Such sentences are
never quoted, never given to an LLM as sources, and a question carrying one is answered
without the LLM and without echoing it.
"""

from __future__ import annotations

import re

from index.text import fold

_PATTERNS = [
    # English
    r"\bignore (?:all |any |the |your |my |previous |prior |above |earlier )+"
    r"(?:instructions?|prompts?|rules|directions)\b",
    r"\bdisregard (?:all |any |the |your |previous |prior |above )*(?:instructions?|rules)\b",
    r"\b(?:reveal|print|show|repeat|output|leak) (?:me )?(?:your |the )?"
    r"(?:system |hidden |initial )?(?:prompt|instructions)\b",
    r"\bsystem prompt\b",
    r"\byou are now\b|\bact as (?:an? )?(?:unrestricted|jailbroken|dan)\b",
    r"\b(?:ping|mention|notify|tag) (?:@?everyone|@?here|all users)\b",
    r"\bnew instructions?\s*:",
    # French
    r"\bignore[rz]? (?:toutes |tes |vos |les |ces |mes )*(?:instructions|consignes|regles)\b",
    r"\boublie[rz]? (?:toutes |tes |vos |les |ces )*(?:instructions|consignes|regles)\b",
    r"\b(?:revele|affiche|montre|repete|donne)[rsz]? (?:moi )?"
    r"(?:ton |ta |tes |votre |vos |le |la |les )?(?:prompt|instructions|consignes)(?: systeme)?\b",
    r"\b(?:mentionne|notifie|ping)[rz]? (?:@?everyone|@?here|tout le monde)\b",
    r"\bnouvelles? (?:instructions|consignes)\s*:",
]
_INJECTION = re.compile("|".join(_PATTERNS))


def looks_like_injection(text: str) -> bool:
    """True for text that gives orders to an AI system rather than reporting news."""
    return bool(_INJECTION.search(fold(text)))
