"""Functional tests (décret 2022-190: every function of a refurbished unit tested).

Pure logic only: the catalogue, the automatic checks that read the machine through
the :class:`~bench_agent.host.base.Host` protocol, the AZERTY keyboard map, the
microphone level and the USB plug detection. The bench app and the CLI drive them.
"""

from __future__ import annotations

from bench_agent.functional.catalogue import CATALOGUE, Outcome, Result, TestSpec, spec
from bench_agent.functional.checks import run_automatic
from bench_agent.functional.profile import FunctionalProfile, load_functional_profile

__all__ = [
    "CATALOGUE",
    "FunctionalProfile",
    "Outcome",
    "Result",
    "TestSpec",
    "load_functional_profile",
    "run_automatic",
    "spec",
]
