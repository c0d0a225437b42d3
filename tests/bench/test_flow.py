"""The sitting's rules as pure functions over its record, without Textual: step states,
gates, revisions, and the record surviving a reload."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from bench_agent.bench import flow
from bench_agent.bench.errors import BenchError
from bench_agent.bench.paths import BenchPaths
from bench_agent.bench.record import SittingStore
from bench_agent.bench.service import Bench
from bench_agent.host import open_host
from bench_agent.model.report import ErasureSummary

X1 = Path(__file__).parents[1] / "fixtures/hosts/Lenovo_ThinkPad_X1_Carbon_5th_live"
TESTS = ("keyboard", "screen", "backlight", "webcam", "microphone", "speakers", "usb",
         "wifi", "ethernet", "charger", "battery_autonomy")  # fmt: skip


def clock() -> str:
    return "2026-12-03T10:00:00Z"


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    b = Bench.open(
        BenchPaths(tmp_path), open_host(str(X1)), None, {"BENCH_AGENT_OPERATOR": "Amina"},
        clock=clock, simulation_only=True,
    )  # fmt: skip
    b.collect_inventory()
    return b


def erased(bench: Bench, result: str = "ERASED") -> ErasureSummary:
    disk = flow.internal_disks(bench.record)[0]
    return ErasureSummary(
        certificate_id=f"cert-{result}",
        device=f"/dev/{disk.name}",
        disk_serial=disk.serial,
        method="random",
        result=result,  # type: ignore[arg-type]
    )


def complete(bench: Bench) -> None:
    bench.set_unit_id("LCT-0042-7")
    bench.check_health()
    for name in TESTS:
        bench.answer_test(name, True)
    bench.set_cosmetic("B")
    bench.add_summaries([erased(bench)])


def test_the_transition_rules_import_without_textual() -> None:
    code = (
        "import sys; import bench_agent.bench.flow, bench_agent.bench.service; "
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_fresh_unit_has_everything_to_do_and_cannot_be_labelled(bench: Bench) -> None:
    views = bench.step_views()
    assert list(views) == list(flow.STEP_KEYS)
    assert views["unit"].state is flow.StepState.TODO
    assert views["inventory"].state is flow.StepState.DONE
    assert views["erase"].state is flow.StepState.TODO
    assert views["label"].state is flow.StepState.BLOCKED
    assert views["sync"].state is flow.StepState.BLOCKED
    refusals = bench.label_refusals()
    assert any("nvme0n1" in r.fr and "pas effacé" in r.fr for r in refusals)
    with pytest.raises(BenchError) as refused:
        bench.make_label(lang="fr")
    assert "Étiquette refusée" in refused.value.text.fr
    assert not (bench.paths.labels).exists()


def test_an_unerased_unit_is_not_distributable_whatever_its_tests(bench: Bench) -> None:
    complete(bench)
    bench.add_summaries([erased(bench, "FAILED")])
    grade = bench.current_grade()
    assert grade is not None and grade.category == "NOT_DISTRIBUTABLE"
    assert bench.step_views()["erase"].state is flow.StepState.PROBLEM
    assert flow.unerased_disks(bench.record)[0][1] == "FAILED"


def test_a_dry_run_never_counts_as_an_erasure(bench: Bench) -> None:
    complete(bench)
    bench.update(erasures=[erased(bench, "DRY_RUN")])
    assert flow.unerased_disks(bench.record)
    assert bench.current_grade().category == "NOT_DISTRIBUTABLE"  # type: ignore[union-attr]


def test_a_failed_keyboard_makes_the_unit_to_repair_per_the_profile(bench: Bench) -> None:
    complete(bench)
    assert bench.current_grade().category not in ("TO_REPAIR", "NOT_DISTRIBUTABLE")  # type: ignore[union-attr]
    bench.answer_test("keyboard", False)
    grade = bench.current_grade()
    assert grade is not None and grade.category == "TO_REPAIR"
    assert not grade.suitable_needs
    assert bench.step_views()["functional"].state is flow.StepState.PROBLEM


def test_a_missing_test_keeps_the_unit_from_leaving(bench: Bench) -> None:
    complete(bench)
    bench.forget_test("webcam")
    grade = bench.current_grade()
    assert grade is not None and grade.category == "NOT_DISTRIBUTABLE"
    assert any(r.rule.startswith("functional.missing") for r in grade.rules)
    assert bench.step_views()["functional"].state is flow.StepState.TODO


def test_a_missing_tool_is_not_a_result_and_a_missing_part_is_a_failure(bench: Bench) -> None:
    from bench_agent.functional.catalogue import Outcome
    from bench_agent.model.common import Text

    bench.record_outcomes(
        [
            Outcome("webcam", "n/a", Text(fr="aucune webcam", en="no webcam"), missing="part"),
            Outcome("wifi", "n/a", Text(fr="iw absent", en="iw missing"), missing="tool"),
        ]
    )
    assert bench.record.functional["webcam"].result == "fail"
    assert "wifi" not in bench.record.functional
    assert "wifi" in bench.untested
    bench.confirm_absent("webcam")
    webcam = bench.record.functional["webcam"]
    assert webcam.result == "n/a" and webcam.by == "Amina" and webcam.at == clock()


def test_usb_ports_add_up_and_an_earlier_failure_stays(bench: Bench) -> None:
    from bench_agent.functional.catalogue import Outcome
    from bench_agent.model.common import Text

    ok = Text(fr="ok", en="ok")
    bench.record_outcomes([Outcome("usb", "pass", ok, {"port": "1-1", "ports": "1-1"})])
    bench.record_outcomes([Outcome("usb", "pass", ok, {"port": "2-1", "ports": "2-1"})])
    assert bench.record.functional["usb"].data["ports"] == "1-1 2-1"
    bench.record_outcomes([Outcome("usb", "fail", Text(fr="rien", en="nothing"))])
    bench.record_outcomes([Outcome("usb", "pass", ok, {"port": "3-1", "ports": "3-1"})])
    assert bench.record.functional["usb"].result == "fail"


def test_saving_twice_keeps_one_report_id_and_makes_revisions(bench: Bench) -> None:
    from wipe.signing import verify_envelope

    complete(bench)
    first = bench.save()
    assert first.new and first.revision == 1
    assert bench.save().new is False  # nothing changed: no new revision
    bench.override("C", "rayure profonde sur le capot")
    second = bench.save()
    assert second.revision == 2 and second.path == first.path
    import json

    payload = verify_envelope(json.loads(second.path.read_text()))
    assert payload["report_id"] == bench.record.report_id and payload["revision"] == 2
    assert payload["grade"]["override"]["reason"] == "rayure profonde sur le capot"
    kept = sorted((bench.paths.reports / "revisions").glob("*.json"))
    assert [p.name.rsplit(".", 2)[-2] for p in kept] == ["r1", "r2"]


def test_an_override_needs_a_reason_and_cannot_lift_the_erasure_gate(bench: Bench) -> None:
    complete(bench)
    with pytest.raises(BenchError):
        bench.override("B", "   ")
    bench.update(erasures=[])
    with pytest.raises(BenchError):
        bench.override("A", "le donateur a déjà effacé")
    assert bench.record.override is None


def test_a_change_after_a_save_makes_the_label_wait_for_a_new_save(bench: Bench) -> None:
    complete(bench)
    bench.save()
    assert bench.label_refusals() == []
    bench.answer_test("speakers", False)
    assert any("changé" in r.fr for r in bench.label_refusals())
    assert bench.step_views()["grade"].state is flow.StepState.TODO


def test_the_sitting_survives_a_reopen_and_a_damaged_file_is_kept_aside(
    bench: Bench, tmp_path: Path
) -> None:
    complete(bench)
    again = Bench.open(BenchPaths(tmp_path), bench.host, None, {}, clock=clock)
    assert again.record == bench.record
    assert msgspec.json.encode(again.step_views()) == msgspec.json.encode(bench.step_views())
    store = SittingStore(tmp_path / "sittings")
    store.current_path.write_bytes(b'{"record_version": 1, "sitting_id": ')  # torn write
    fresh = Bench.open(BenchPaths(tmp_path), bench.host, None, {}, clock=clock)
    assert fresh.record.unit_id is None and fresh.notes
    assert (tmp_path / "sittings" / "current.damaged-1.json").exists()


def test_next_unit_archives_the_sitting_and_warns_when_unfinished(bench: Bench) -> None:
    bench.set_unit_id("LCT-1")
    warnings = [w.en for w in bench.leave_warnings()]
    assert "some disks are not erased" in warnings and "the report is not saved" in warnings
    old = bench.record.sitting_id
    bench.next_unit()
    assert bench.record.unit_id is None and bench.record.sitting_id != old
    assert (bench.paths.sittings / "done" / f"{old}.json").exists()


@pytest.mark.parametrize("bad", ["", "   ", "x" * 65, "LCT\x1b[31m"])
def test_a_unit_id_must_be_short_and_printable(bench: Bench, bad: str) -> None:
    with pytest.raises(BenchError):
        bench.set_unit_id(bad)
    assert bench.record.unit_id is None
