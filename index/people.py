"""People's names: one key per person whatever the accents or spelling."""

from __future__ import annotations

import re

from index.text import fold


def person_key(name: str) -> str:
    """'Sébastien  Bubeck' and 'sebastien bubeck' -> 'sebastien bubeck'; hyphens and
    apostrophes count as spaces ('Marie-Anne' = 'Marie Anne')."""
    return " ".join(re.split(r"[\s\-‐‑'’.]+", fold(name))).strip()
