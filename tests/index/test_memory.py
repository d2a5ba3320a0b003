"""Freed memory goes back to the OS after bulk work (see index/memory.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
from index.memory import release_free_memory

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024

# What a page-by-page read does: many blocks of a few kB, a few of which survive.
kept, blocks = [], []
for i in range(60_000):
    block = bytes(4096)
    blocks.append(block)
    if i % 500 == 0:
        kept.append(bytearray(2048))
del blocks
before = rss_mb()
assert release_free_memory()
print(before, rss_mb())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_pages_are_returned() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).parents[2])
    before, after = map(int, done.stdout.split())
    assert before - after > 100, (before, after)  # of ~240 MB allocated and freed
