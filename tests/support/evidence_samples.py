"""A complete erasure certificate payload, as ``wipe.engine`` writes it, for the tests of
signing and trust (and the shipped example of docs/evidence.md)."""

from __future__ import annotations

from typing import Any


def certificate_payload(
    *,
    certificate_id: str = "3f2b8c1e-7d4a-4e51-9a0b-5c6d7e8f9a01",
    started_at: str = "2026-11-20T09:00:00Z",
    ended_at: str | None = "2026-11-20T09:02:10Z",
    serial: str = "WD-WX41A3456789",
    result: str = "ERASED",
) -> dict[str, Any]:
    return {
        "schema": "bench-agent/erasure-certificate/1",
        "certificate_id": certificate_id,
        "session_id": "5d0e9c2a-1b3f-4a6e-8c7d-9e0f1a2b3c4d",
        "result": result,
        "dry_run": False,
        "reasons": {"fr": [], "en": []},
        "sanitization": {
            "level": "clear" if result == "ERASED" else None,
            "standard": "NIST SP 800-88 Rev.2 / IEEE 2883-2022" if result == "ERASED" else None,
            "why": "every user-addressable byte overwritten and verification passed",
        },
        "media": {
            "name": "sda",
            "device_path": "/dev/sda",
            "vendor": "ATA",
            "model": "WDC WD5000LPCX-24VHAT0",
            "serial": serial,
            "size_bytes": 500107862016,
            "transport": "sata",
            "rotational": True,
            "media": "hdd",
            "backing_file": None,
            "manufacturer": "ATA",
            "asset_tag": "LCT-42",
            "media_type": "magnetic",
        },
        "source_computer": {"maker": "LENOVO", "model": "20HRCTO1WW", "serial": "PF0QMY5N"},
        "method": {
            "overwrite": {"name": "zero", "passes": [{"pattern": "zero"}], "verification": "last"},
            "firmware": None,
            "prng": None,
            "keystream_seed_hex": None,
            "keystream_layout": None,
            "passes": [
                {
                    "phase": "write",
                    "pass_index": 0,
                    "pattern": "zero",
                    "bytes_total": 500107862016,
                    "bytes_done": 500107862016,
                    "duration_s": 4312.507,
                    "throughput_mb_s": 115.9,
                    "errors": [],
                    "ok": True,
                }
            ],
            "resumed_from": None,
        },
        "verification": {
            "mode": "last",
            "passes": [],
            "bytes_checked": 500107862016,
            "coverage_percent": 100.0,
            "passed": True,
        },
        "errors": {"count": 0, "ranges": []},
        "bytes_written": 500107862016,
        "device_size_bytes": 500107862016,
        "hpa_dco": None,
        "tool": {"name": "bench-agent wipe", "version": "0.1.0"},
        "operator": {
            "name": "Łukasz Nguyễn",
            "role": "technicien",
            "organisation": "Tech R&D <Lyon>",
            "location": "GR",
            "contact": None,
            "donor": "Mairie d'Échirolles",
        },
        "started_at": started_at,
        "ended_at": ended_at,
        "duration_s": 8625.013,
    }
