"""bench-agent schema: the UnitReport JSON Schema."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bench_agent.context import Environment


def register(sub: Any, env: Environment) -> None:
    p = sub.add_parser(
        "schema",
        help=env._("schéma JSON du rapport d'unité"),
    )
    p.set_defaults(handler=run_schema)


def run_schema(args: argparse.Namespace, env: Environment) -> int:
    from bench_agent.model import json_schema

    env.out(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0
