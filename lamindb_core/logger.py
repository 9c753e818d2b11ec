"""One-line messages in LaminDB's style: ``→`` important, ``✓`` success,
``•`` info, ``!`` warning.

Messages go to standard output so that they appear under a notebook cell, as in
the specification. ``settings.verbosity`` silences them: 0 warnings only, 1
also successes, important steps and details (the default, as in the
specification's output), 2 everything.
"""

from __future__ import annotations

import sys

__all__ = ["logger"]


class Logger:
    """Prints the library's messages; ``verbosity`` chooses how many."""

    def __init__(self) -> None:
        self.verbosity = 1

    def _print(self, symbol: str, message: str) -> None:
        print(f"{symbol} {message}", file=sys.stdout, flush=True)

    def important(self, message: str) -> None:
        """A step the user should know about (set-up, connecting)."""
        if self.verbosity >= 1:
            self._print("→", message)

    def success(self, message: str) -> None:
        """Something that worked."""
        if self.verbosity >= 1:
            self._print("✓", message)

    def info(self, message: str) -> None:
        """A detail."""
        if self.verbosity >= 1:
            self._print("•", message)

    def debug(self, message: str) -> None:
        """What the library did behind the scenes (verbosity 2)."""
        if self.verbosity >= 2:
            self._print("•", message)

    def warning(self, message: str) -> None:
        """Something the user may not expect; always shown."""
        self._print("!", message)


logger = Logger()
