"""The sampled read check: throughput and read errors, judged by the policy.

A drive that reads at 2 MB/s or returns EIO is not fine whatever SMART says.
The reading itself is done by :mod:`bench_agent.host.blockread` (host seam).
"""

from __future__ import annotations

from collections.abc import Callable

from bench_agent.health.policy import Policy
from bench_agent.health.verdict import worst
from bench_agent.host.blockread import BlockReadError, ChunkRead, SampledRead, sampled_read
from bench_agent.i18n import _t
from bench_agent.model.health import DiskHealth, Finding, ReadCheck

MIB = 1 << 20
Reader = Callable[[str, int], SampledRead]


def summarise(sample: SampledRead, requested_bytes: int) -> ReadCheck:
    ok_chunks = [c for c in sample.chunks if c.error is None and c.duration_s > 0]
    slowest = min((c.read_bytes / c.duration_s / 1e6 for c in ok_chunks), default=None)
    read = sample.read_bytes
    throughput = read / sample.duration_s / 1e6 if read and sample.duration_s > 0 else None
    return ReadCheck(
        sampled_bytes=read,
        duration_s=round(sample.duration_s, 6),
        throughput_mb_s=None if throughput is None else round(throughput, 2),
        error_offsets=sample.error_offsets,
        requested_bytes=requested_bytes,
        chunk_bytes=sample.chunk_bytes,
        chunk_count=len(sample.chunks),
        slowest_chunk_mb_s=None if slowest is None else round(slowest, 2),
        device_bytes=sample.device_bytes,
    )


def judge(check: ReadCheck, policy: Policy) -> list[Finding]:
    rules = policy.read_check
    findings: list[Finding] = []
    if check.error_offsets:
        first = ", ".join(str(o) for o in check.error_offsets[:5])
        findings.append(
            Finding(
                code="read_check.errors",
                severity=rules.read_error,
                attribute="read_check.error_offsets",
                value=len(check.error_offsets),
                threshold=0,
                message=_t(
                    "Erreurs de lecture sur {n_error_offsets} zones échantillonnées "
                    "(octets {first}) : ne pas réutiliser.",
                    n_error_offsets=len(check.error_offsets),
                    first=first,
                ),
            )
        )
    speed = check.throughput_mb_s
    if speed is not None and speed < rules.min_throughput_mb_s:
        findings.append(
            Finding(
                code="read_check.slow",
                severity=rules.slow,
                attribute="read_check.throughput_mb_s",
                value=speed,
                threshold=rules.min_throughput_mb_s,
                message=_t(
                    "Lecture lente : {speed:.1f} Mo/s (minimum {min_throughput_mb_s:g}).",
                    speed=speed,
                    min_throughput_mb_s=rules.min_throughput_mb_s,
                ),
            )
        )
    return findings


def not_this_machine(host_name: str) -> Finding:
    return Finding(
        code="read_check.unavailable",
        severity="INFO",
        message=_t(
            "Contrôle de lecture impossible sur une machine enregistrée ({host_name}).",
            host_name=host_name,
        ),
    )


def apply_read_check(
    health: DiskHealth,
    path: str,
    mib: int,
    policy: Policy,
    *,
    reader: Reader | None = None,
    on_chunk: Callable[[ChunkRead], None] | None = None,
) -> DiskHealth:
    """Run the read check on ``path`` and fold its result into ``health``.

    ``on_chunk`` sees every chunk as it is read (progress for the bench app).
    """

    def default_reader(device: str, total_bytes: int) -> SampledRead:
        return sampled_read(device, total_bytes, on_chunk=on_chunk)

    read: Reader = reader or default_reader
    requested = mib * MIB
    try:
        sample = read(path, requested)
    except BlockReadError as exc:
        health.findings.append(
            Finding(
                code="read_check.unavailable",
                severity="INFO",
                message=_t(
                    "Contrôle de lecture impossible : {strerror}.", strerror=exc.strerror or exc
                ),
            )
        )
        return health
    health.read_check = summarise(sample, requested)
    new = judge(health.read_check, policy)
    health.findings.extend(new)
    verdict = worst(new)
    if verdict == "FAIL" or (health.verdict != "UNKNOWN" and verdict != "OK"):
        combined = worst([f for f in health.findings if f.severity != "UNKNOWN"])
        if combined != health.verdict:
            health.verdict = combined
            health.reason = next(f.message for f in health.findings if f.severity == combined)
    return health
