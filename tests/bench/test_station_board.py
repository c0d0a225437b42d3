"""What the station service gives its skins besides erasing (no root, no device): the
station opened from site.toml's settings (bad values in words, exit code 2), the batch
chosen on the station (checked, never mutating the site's settings), and the board —
every named slot in the site's order, ``empty`` until a drive arrives."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench_agent.bench.errors import BenchError
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.site import Site
from bench_agent.bench.site import Station as StationSettings
from bench_agent.bench.station import open_station
from bench_agent.host.live import LiveHost


def site(**station: object) -> Site:
    return Site(station=StationSettings(**station))  # type: ignore[arg-type]


def test_the_board_lists_every_named_slot_in_the_site_order_then_nothing_else(
    tmp_path: Path,
) -> None:
    slots = {"dock-2": "*/block/loop250", "dock-1": "*/block/loop251", "baie": "*/nvme9"}
    opened = open_station(BenchPaths(tmp_path), LiveHost(), site(slots=slots), batch=" LOT-7 ")
    station = opened.station
    assert opened.interrupted == []
    board = station.board()
    assert [v.slot for v in board] == ["dock-2", "dock-1", "baie"]
    assert {v.state for v in board} == {"empty"} and {v.device for v in board} == {None}
    assert station.slots() == [] and not station.busy() and not station.erasing()
    assert station.settings.batch == "LOT-7"
    # No drive: nothing to start or hold.
    assert station.start_now("dock-1") is False and station.hold("dock-1") is False


def test_the_batch_chosen_on_the_station_is_checked_and_changes_only_this_station(
    tmp_path: Path,
) -> None:
    configured = site(slots={"dock-1": "*/block/loop250"}, batch="LOT-SITE")
    changes: list[int] = []
    station = open_station(
        BenchPaths(tmp_path), LiveHost(), configured, on_change=lambda: changes.append(1)
    ).station
    station.set_batch("LOT-2026-042")
    assert station.settings.batch == "LOT-2026-042" and changes == [1]
    assert configured.station.batch == "LOT-SITE"  # the site's settings are not touched
    for bad in ("", "   ", "x" * 65, "LOT\n42", "LOT\x1b[2J"):
        with pytest.raises(BenchError) as caught:
            station.set_batch(bad)
        assert caught.value.exit_code == 2
        assert "Code de lot invalide" in caught.value.text.fr
        assert "Invalid batch code" in caught.value.text.en
    assert station.settings.batch == "LOT-2026-042"
    # The source every certificate of this station carries (central reads the batch).
    assert station.source("LOT-2026-042")["loose_drive"] is True
    assert station.source("LOT-2026-042")["batch"] == "LOT-2026-042"


@pytest.mark.parametrize(
    ("settings", "options", "words"),
    [
        ({}, {}, "Aucun emplacement nommé"),
        ({"slots": {"d": "*/loop9"}}, {"delay_s": 3601}, "Délai invalide"),
        ({"slots": {"d": "*/loop9"}}, {"batch": "x" * 65}, "Code de lot invalide"),
    ],
)
def test_a_station_that_cannot_open_says_why_with_exit_code_2(
    tmp_path: Path, settings: dict[str, object], options: dict[str, object], words: str
) -> None:
    with pytest.raises(BenchError) as caught:
        open_station(BenchPaths(tmp_path), LiveHost(), site(**settings), **options)  # type: ignore[arg-type]
    assert caught.value.exit_code == 2
    assert words in caught.value.text.fr
