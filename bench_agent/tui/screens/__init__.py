"""One screen per step of the sitting, by step number (step 1 is on the main screen)."""

from __future__ import annotations

from bench_agent.tui.screens.base import BenchScreen
from bench_agent.tui.screens.cosmetic import CosmeticScreen
from bench_agent.tui.screens.erase import EraseScreen
from bench_agent.tui.screens.functional import FunctionalScreen
from bench_agent.tui.screens.grade import GradeScreen
from bench_agent.tui.screens.health import HealthScreen
from bench_agent.tui.screens.inventory import InventoryScreen
from bench_agent.tui.screens.label import LabelScreen
from bench_agent.tui.screens.sync import SyncScreen

STEP_SCREENS: dict[int, type[BenchScreen]] = {
    2: InventoryScreen,
    3: HealthScreen,
    4: FunctionalScreen,
    5: CosmeticScreen,
    6: EraseScreen,
    7: GradeScreen,
    8: LabelScreen,
    9: SyncScreen,
}

__all__ = ["STEP_SCREENS", "BenchScreen"]
