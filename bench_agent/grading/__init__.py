"""Grading: the network's categorisation as versioned, data-driven profiles.

- :mod:`~bench_agent.grading.profile`: load, inherit and validate TOML profiles;
- :mod:`~bench_agent.grading.cpu_table`: CPU name normalisation and score table;
- :mod:`~bench_agent.grading.engine`: UnitReport + profile → Grade (pure).
"""

from bench_agent.grading.cpu_table import CpuTable, default_cpu_table, load_cpu_table
from bench_agent.grading.engine import (
    GradingInputError,
    TechnicianInput,
    apply_override,
    grade_unit,
)
from bench_agent.grading.profile import Profile, load_cosmetic_scale, load_needs, load_profile
from bench_agent.grading.toml_source import ProfileError

__all__ = [
    "CpuTable",
    "GradingInputError",
    "Profile",
    "ProfileError",
    "TechnicianInput",
    "apply_override",
    "default_cpu_table",
    "grade_unit",
    "load_cosmetic_scale",
    "load_cpu_table",
    "load_needs",
    "load_profile",
]
