"""The terminal edge: what the command line reads (arguments, standard input) and prints.

Article titles and text are untrusted: an escape sequence in one could clear the screen,
rewrite earlier lines, set the window title or plant a hyperlink in the operator's
terminal. `terminal_safe` is the one function that cleans text for a terminal, and
`safe_output` routes everything the process writes to stdout and stderr through it (print,
argparse, logging alike), so no caller has to remember.

Input is read as the bytes it is: invalid UTF-8 in an argument or a line of standard input
is replaced with U+FFFD and reported in one line, never a traceback.
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

REPLACEMENT = "\ufffd"
# Escape sequences, removed whole so that their parameters do not show up as text: CSI
# (colours, cursor moves, erase), OSC (window title, hyperlinks; ends at BEL, ST or the end
# of the line), DCS/SOS/PM/APC strings, any other ESC + one character, the 8-bit CSI; then
# every remaining C0/C1 control character except tab and newline (\r could overwrite a
# line). Each alternative starts with a distinct character and no repetition is followed
# by something that may fail, so cleaning is linear in the text's length.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b\n]*(?:\x1b\\)?"
    r"|\x1b[ -~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # undecodable bytes kept by surrogateescape


def terminal_safe(text: str) -> str:
    """`text` without terminal control sequences and with undecodable bytes as U+FFFD."""
    text = _CONTROL.sub("", text)
    return _SURROGATE.sub(REPLACEMENT, text)


def repair(text: str) -> tuple[str, bool]:
    """Text decoded from the OS with surrogateescape (arguments; standard input as we read
    it), re-decoded with invalid bytes as U+FFFD; and whether any byte was invalid."""
    if not _SURROGATE.search(text):
        return text, False
    raw = text.encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "replace"), True


def repair_args(argv: Sequence[str]) -> list[str]:
    """The arguments with invalid UTF-8 replaced; says so once on stderr."""
    out, bad = [], 0
    for arg in argv:
        fixed, was_bad = repair(arg)
        out.append(fixed)
        bad += was_bad
    if bad:
        print(f"talentbot: {bad} argument(s) were not valid UTF-8; the invalid bytes were "
              f"replaced with {REPLACEMENT}", file=sys.stderr)
    return out


def lines(stream: TextIO, prompt: str = "") -> Iterator[str]:
    """Lines of standard input (via input(), so an interactive prompt keeps line editing);
    a line with invalid UTF-8 is repaired and reported on stderr, then used."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="surrogateescape")  # keep bad bytes, to report them
    number = 0
    while True:
        try:
            line = input(prompt)
        except EOFError:
            return
        number += 1
        fixed, bad = repair(line)
        if bad:
            print(f"talentbot: line {number} was not valid UTF-8; the invalid bytes were "
                  f"replaced with {REPLACEMENT}", file=sys.stderr)
        yield fixed


class SafeStream(io.TextIOBase):
    """A text stream that writes through `terminal_safe` to the stream it wraps."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(terminal_safe(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.raw, "encoding", "utf-8") or "utf-8"


def raw_stream(stream: TextIO) -> TextIO:
    """The terminal under a SafeStream: for rich's progress bar, whose escapes are ours."""
    return stream.raw if isinstance(stream, SafeStream) else stream


@contextmanager
def safe_output() -> Iterator[None]:
    """Everything written to stdout and stderr inside goes through `terminal_safe`."""
    saved = sys.stdout, sys.stderr
    sys.stdout = SafeStream(saved[0])
    sys.stderr = SafeStream(saved[1])
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
        sys.stdout, sys.stderr = saved
