"""Label rendering time: in-process and as a whole ``bench-agent label --output`` process.

Parts, in the same run:

1. in-process: ``label_content`` + ``render_label`` for the recorded ThinkPad X1
   Carbon 5th (graded, erased) on the default 62 × 29 mm template, median of N
   (fonts registered once, as in a long-running bench app);
2. whole process: ``bench-agent label --report FILE --output FILE.pdf`` (import,
   report decode, template load, fonts, render, atomic write), median of M;
3. baseline process: ``bench-agent --version`` (interpreter + CLI import), so the
   label's own share of the process time can be read off the same run.

No Debian peer renders a label from a report (glabels-batch-qt is not packaged for
the CLI on Debian 12, enscript is not installed on our machines), so the figures are
absolute. Machines are noisy: compare within one run.

    python benchmarks/bench_label.py [--runs 50] [--process-runs 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _median_s(samples: list[float]) -> float:
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--process-runs", type=int, default=15)
    args = parser.parse_args()

    from bench_agent.labels import label_content, load_template, render_label
    from bench_agent.model import to_json
    from tests.labels.test_labels import x1_report

    report = x1_report()
    template = load_template("brother-ql-62x29")
    render_label(label_content(report, "fr", "https://central.example"), template)  # fonts
    samples = []
    for _ in range(args.runs):
        start = time.perf_counter()
        content = label_content(report, "fr", "https://central.example")
        pdf = render_label(content, template).pdf
        samples.append(time.perf_counter() - start)
    print(
        f"in-process render (62x29, QR, DejaVu): median {_median_s(samples) * 1000:.1f} ms "
        f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}) over {args.runs}; "
        f"PDF {len(pdf)} bytes"
    )

    exe = str(Path(sys.executable).with_name("bench-agent"))
    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "report.json"
        report_path.write_bytes(to_json(report))
        label_cmd = [exe, "label", "--report", str(report_path), "-o", str(Path(tmp) / "l.pdf")]
        base_cmd = [exe, "--version"]
        label_times, base_times = [], []
        env = {"BENCH_AGENT_HOME": tmp, "PATH": "/usr/bin:/bin"}
        for _ in range(args.process_runs):  # alternate so drift hits both alike
            for cmd, bucket in ((label_cmd, label_times), (base_cmd, base_times)):
                start = time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, env=env)
                bucket.append(time.perf_counter() - start)
    label_s, base_s = _median_s(label_times), _median_s(base_times)
    print(
        f"whole process `bench-agent label --output`: median {label_s * 1000:.0f} ms "
        f"over {args.process_runs}"
    )
    print(
        f"baseline `bench-agent --version`: median {base_s * 1000:.0f} ms "
        f"(the label's own share: {(label_s - base_s) * 1000:.0f} ms)"
    )
    print(
        json.dumps(
            {
                "render_ms": round(_median_s(samples) * 1000, 2),
                "process_ms": round(label_s * 1000, 1),
                "baseline_ms": round(base_s * 1000, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
