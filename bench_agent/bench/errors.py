"""The one exception a service raises for a problem the technician must read."""

from __future__ import annotations

from bench_agent.model.common import Text


class BenchError(RuntimeError):
    """A step could not be done; ``text`` says why in French and English, without paths
    or Python names (the detail, when there is one, is in the bench log)."""

    def __init__(self, text: Text, *, exit_code: int = 3, detail: object = None) -> None:
        super().__init__(text.en if detail is None else f"{text.en} ({detail})")
        self.text = text
        self.exit_code = exit_code
        """The command line's exit code for it: 1 a problem found, 2 usage, 3 environment."""
        self.detail = None if detail is None else str(detail)
        """The technical cause (a parser's message, a path, an OS error): printed under the
        sentence by the commands, written to the bench log by the app — never on its
        screens, where it would be developer text."""
