"""The bench's services: every operation of a sitting, behind the app and the commands.

``commands/`` (argparse) and ``tui/`` (Textual) are two skins over this package: they
read input and draw output, and neither imports the other. Services return plain data
and bilingual :class:`~bench_agent.model.common.Text`; they raise :class:`BenchError`
(a sentence for the technician) for a problem the technician has to read, and log the
technical detail (paths, exceptions) to the bench's log file.
"""

from __future__ import annotations

from bench_agent.bench.errors import BenchError

__all__ = ["BenchError"]
