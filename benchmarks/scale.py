"""Benchmark the larger-than-memory path: raw report logs of 10 to 100 million reports.

For each size, writes a raw log (``write_log`` of the simulated 3 May 2017, every country,
1-minute bins, 14 days of history, reporting rates scaled up as for a tracker that follows
many services) as partitioned Parquet, then, each in a fresh process so that peak memory is
its own:

* ``aggregate_reports`` on the log read whole into pandas (where it fits);
* ``aggregate_reports`` on ``read_log`` with a local Dask cluster of 1 and of 2 worker
  processes (peak memory: the largest worker's, and the client's);

and prints seconds and peak resident memory, and how the time grows with the size. Then
runs ``estimate_outages`` and ``regional_impact`` on the aggregated frame, with pandas and
with ``analysis.distributed`` on 2 workers.

    .venv/bin/python benchmarks/scale.py [--sizes 10 30 100] [--dir /tmp/outage-logs]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BASE_REPORTS = 1.076e6  # reports of the 14-day scenario at rate scale 1 (seed 80,000)

_AGGREGATE = """
import json, resource, sys, time
import pandas as pd
from analysis.logs import aggregate_reports, read_log
path, mode, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
began = time.perf_counter()
if mode == "pandas":
    frame = aggregate_reports(read_log(path).compute(scheduler="threads"), "1min",
                              per_user="1min")
    worker_peak = 0.0
else:
    from analysis.distributed import connect
    with connect(workers=workers) as client:
        frame = aggregate_reports(read_log(path), "1min", per_user="1min")
        peaks = client.run(lambda: __import__("resource").getrusage(
            __import__("resource").RUSAGE_SELF).ru_maxrss)
        worker_peak = max(peaks.values()) / 1024
frame.to_parquet(path.rstrip("/") + "-reports.parquet", index=False)
print(json.dumps({"seconds": time.perf_counter() - began, "rows": len(frame),
                  "reports": int(frame["reports"].sum()), "worker_mb": worker_peak,
                  "client_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

_ANALYSE = """
import json, resource, sys, time
import pandas as pd
import analysis
from analysis import distributed
reports = pd.read_parquet(sys.argv[1])
mode = sys.argv[2]
began = time.perf_counter()
if mode == "pandas":
    windows = analysis.estimate_outages(reports)
    main = windows[windows["service"] == "whatsapp"]
    impact = analysis.regional_impact(reports, main)
else:
    with distributed.connect(workers=2):
        windows = distributed.estimate_outages(reports)
        main = windows[windows["service"] == "whatsapp"]
        impact = distributed.regional_impact(reports, main)
print(json.dumps({"seconds": time.perf_counter() - began, "windows": len(windows),
                  "regions": len(impact),
                  "client_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def write(size_millions: float, root: Path) -> tuple[Path, float]:
    from analysis import scenarios, simulate
    from analysis.logs import write_log
    from analysis.simulate import Reporting

    folder = root / f"log-{size_millions:g}M"
    if folder.exists() and any(folder.glob("*.parquet")):
        return folder, 0.0
    scale = size_millions * 1e6 / BASE_REPORTS / 1.1  # repeats add about 10%
    base = scenarios.whatsapp_2017(days_before=13).replace(rival=None)
    reporting = Reporting(background_rate=base.reporting.background_rate * scale,
                          outage_rate=base.reporting.outage_rate * scale)  # fmt: skip
    began = time.perf_counter()
    sim = simulate(base.replace(reporting=reporting), seed=80_000)
    write_log(sim, folder, seed=1, reports_per_file=1_000_000)
    return folder, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[10, 30, 100],
                        help="log sizes in millions of reports")  # fmt: skip
    parser.add_argument("--dir", type=Path, default=Path("/tmp/outage-logs"))
    parser.add_argument("--pandas-max", type=float, default=50,
                        help="largest log (millions) read into pandas (~0.2 GB/M)")  # fmt: skip
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        folder, seconds = write(size, args.dir)
        print(f"\nlog of ~{size:g} M reports in {folder} (written in {seconds:.0f} s)")
        for mode, workers in (("pandas", 0), ("dask", 1), ("dask", 2)):
            if mode == "pandas" and size > args.pandas_max:
                print(f"  aggregate (pandas): skipped, would need about {0.21 * size:.0f} GB")
                continue
            result = _run(_AGGREGATE, str(folder), mode, str(workers))
            label = "pandas" if mode == "pandas" else f"dask, {workers} worker(s)"
            print(f"  aggregate ({label}): {json.dumps(result)}", flush=True)
            rows.append({"size_M": size, "path": label, **result})
    frames = sorted(args.dir.glob("log-*-reports.parquet"))
    if frames:
        largest = max(frames, key=lambda p: p.stat().st_size)
        for mode in ("pandas", "dask"):
            print(f"\nestimate_outages + regional_impact ({mode}) on {largest.name}: "
                  f"{json.dumps(_run(_ANALYSE, str(largest), mode))}")  # fmt: skip
    print("\nseconds by size:")
    for path in ("pandas", "dask, 1 worker(s)", "dask, 2 worker(s)"):
        times = [(r["size_M"], r.get("seconds")) for r in rows if r["path"] == path]
        shown = [f"{s:g} M: {t:.1f} s" if t is not None else f"{s:g} M: failed" for s, t in times]
        print(f"  {path:<20} " + ", ".join(shown))


if __name__ == "__main__":
    main()
