"""Unit identity: a stable key from maker + model + serial, with sensible fallbacks."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from bench_agent.model import Disk, Identity, Inventory, from_json, json_schema, to_json
from bench_agent.unit import build_report, unit_identity


def _inv(**identity: str | None) -> Inventory:
    return Inventory(identity=Identity(**identity))  # type: ignore[arg-type]


def test_key_from_maker_product_serial_is_normalised() -> None:
    a = unit_identity(_inv(maker="LENOVO", product_name="20L7S0XX00", serial="PF1ABCDE"))
    b = unit_identity(_inv(maker="Lenovo ", product_name="20L7S0XX00", serial="pf1abcde"))
    assert a.basis == "system_serial"
    assert a.key == b.key == "lenovo|20l7s0xx00|pf1abcde"


@pytest.mark.parametrize(
    ("identity", "disks", "basis", "key"),
    [
        ({"maker": "Acer", "uuid": "3A1F-01"}, [], "system_uuid", "system_uuid:3a1f-01"),
        (
            {"maker": "Acer", "board_serial": "NBGNV11002"},
            [],
            "board_serial",
            "board_serial:nbgnv11002",
        ),
        ({"maker": "Acer"}, ["WD-123", "S3Z9"], "disk_serial", "disk_serial:s3z9"),
        ({"maker": "Acer"}, [], "none", "none:"),
    ],
)
def test_fallbacks_when_the_serial_is_unknown(
    identity: dict[str, str], disks: list[str], basis: str, key: str
) -> None:
    inv = Inventory(
        identity=Identity(**identity),  # type: ignore[arg-type]
        disks=[Disk(name=f"sd{i}", path=f"/dev/sd{i}", serial=s) for i, s in enumerate(disks)],
    )
    ident = unit_identity(inv)
    assert (ident.basis, ident.key) == (basis, key)


def test_the_boot_medium_never_identifies_the_unit() -> None:
    inv = Inventory(disks=[Disk(name="sdb", path="/dev/sdb", serial="USBSTICK", boot_medium=True)])
    assert unit_identity(inv).basis == "none"


def test_report_round_trips_and_is_strictly_validated() -> None:
    report = build_report(_inv(maker="Dell Inc.", serial="JHXPY53"), asset_tag="GRPC25-0322")
    data = to_json(report)
    again = from_json(data)
    assert again == report
    assert again.unit.asset_tag == "GRPC25-0322"
    broken = data.replace(b'"basis": "system_serial"', b'"basis": 42')
    with pytest.raises(msgspec.ValidationError, match=r"\$\.unit\.basis"):
        from_json(broken)


def test_schema_describes_every_report_section() -> None:
    schema = json_schema()
    report_def = schema["$defs"]["UnitReport"]  # type: ignore[index]
    for field in ("inventory", "health", "functional_tests", "erasures", "grade", "revision"):
        assert field in report_def["properties"]
    assert "report_id" in report_def["required"]
    # Never set by anything, so removed: a printed label lives in the sitting record, the
    # sending state in the outbox.
    assert "label" not in report_def["properties"]
    assert "sync" not in report_def["properties"]


def test_an_old_report_with_label_and_sync_still_reads() -> None:
    """Reports written before the two fields went carry ``"label": null, "sync": null``
    (and could carry a value): they still decode and still validate against the schema."""
    import json

    import jsonschema

    report = build_report(_inv(maker="Dell Inc.", serial="JHXPY53"))
    for old in (
        {"label": None, "sync": None},
        {
            "label": {"template": "default", "printed_at": "2026-01-05T10:00:00Z"},
            "sync": {"status": "sent", "attempts": 1, "sinks": {"central": "ok"}},
        },
    ):
        instance = json.loads(to_json(report)) | old
        again = from_json(json.dumps(instance))
        assert again == report
        assert "label" not in json.loads(to_json(again))
        assert "sync" not in json.loads(to_json(again))
        jsonschema.Draft202012Validator(json_schema()).validate(instance)


def test_a_report_validates_against_the_published_schema() -> None:
    import json

    import jsonschema

    report = build_report(_inv(maker="HP", product_name="HP ProBook 450 G2", serial="5CD1234"))
    instance = json.loads(to_json(report))
    jsonschema.Draft202012Validator(json_schema()).validate(instance)
    instance["unit"]["basis"] = "guess"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(json_schema()).validate(instance)


def test_an_old_signed_report_with_label_and_sync_still_loads(tmp_path: Path) -> None:
    """The signature covers the payload as written, ``"label": null, "sync": null`` included:
    the bench still verifies and reads such a file."""
    import json

    from bench_agent.bench.reports import load_report_file
    from wipe.signing import BenchKey

    report = build_report(_inv(maker="Dell Inc.", serial="JHXPY53"))
    payload = json.loads(to_json(report)) | {"label": None, "sync": None}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(BenchKey.generate().sign(payload)))
    loaded = load_report_file(path)
    assert loaded.signed
    assert loaded.report == report
