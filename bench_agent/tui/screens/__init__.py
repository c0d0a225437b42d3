"""One screen per step of the sitting, in the order of the main screen."""

from __future__ import annotations

from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.screens.erase import EraseScreen
from bench_agent.tui.screens.functional import FunctionalScreen
from bench_agent.tui.screens.grade import GradeScreen
from bench_agent.tui.screens.health import HealthScreen
from bench_agent.tui.screens.inventory import InventoryScreen
from bench_agent.tui.screens.label import LabelScreen
from bench_agent.tui.screens.sync import SyncScreen

STEP_SCREENS: tuple[type[BenchScreen], ...] = (
    InventoryScreen,
    HealthScreen,
    EraseScreen,
    GradeScreen,
    LabelScreen,
    SyncScreen,
    FunctionalScreen,
)

__all__ = ["STEP_SCREENS", "BenchScreen"]
