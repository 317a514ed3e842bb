"""Command line: ``python -m analysis <step> ...``, the data flow from a terminal.

Tables go to standard output (``--json`` for machines); a bad input prints the clear error
on standard error and exits with code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import json
import sys
import types
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from analysis.io import FORMATS, load_reports, sniff_format, write_simulation
from analysis.schema import KINDS, LEVEL, ReportDataError, describe_reports

__all__ = ["main"]


def _add_input(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="report file (CSV, Parquet, wide, Trends, IODA)")
    parser.add_argument("--format", default="auto", choices=("auto", *FORMATS))
    parser.add_argument("--tz", help="IANA zone for naive timestamps (default: refuse them)")
    parser.add_argument("--sep", help="CSV delimiter (default ',')")
    parser.add_argument(
        "--kind",
        choices=KINDS,
        help="what the series measure: reports (an "
        "outage is a rise), level (a drop) or index (relative); default: "
        "the format's (IODA: level, Trends: index) or the file's kind column",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _add_analysis_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--level", type=float, default=LEVEL,
                        help=f"interval level (default {LEVEL})")  # fmt: skip
    parser.add_argument("--min-regions", type=int, default=2,
                        help="regions an outage must be seen in, where there are 3 or more "
                        "(default 2; 1 keeps a rise in one region alone)")  # fmt: skip
    parser.add_argument("--scheduler", help="run on Dask: a scheduler address, or 'local' "
                        "for a local cluster (default: pandas in this process)")  # fmt: skip


def json_text(value: object, *, indent: int | None = 2) -> str:
    """The CLI's one JSON encoder: numbers as numbers (numpy's too), times and durations as
    ISO 8601 text, missing values as ``null``, anything else as its text.

    Examples
    --------
    >>> print(json_text({"n": np.int64(3), "at": pd.Timestamp("2017-05-03 20:05", tz="UTC"),
    ...                  "took": pd.Timedelta("2h"), "gone": pd.NaT}, indent=None))
    {"n": 3, "at": "2017-05-03T20:05:00+00:00", "took": "P0DT2H0M0S", "gone": null}
    """
    return json.dumps(value, indent=indent, default=_json_value)


def _json_value(value: object) -> object:
    """One value :mod:`json` cannot write (see :func:`json_text`)."""
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, pd.Timestamp | pd.Timedelta):
        return value.isoformat()
    return str(value)


def _duration(value: pd.Timedelta) -> str:
    """A duration as pandas' short form ("5min", "1h"); "none" for zero, "unknown" for NaT."""
    if pd.isna(value):
        return "unknown"
    if value == pd.Timedelta(0):
        return "none"
    text = to_offset(pd.Timedelta(value)).freqstr
    return text if text[0].isdigit() else f"1{text}"


@contextlib.contextmanager
def _engine(args: argparse.Namespace) -> Iterator[types.SimpleNamespace]:
    """The analysis functions: pandas in this process (with a progress bar unless
    ``--json``), or Dask on the cluster that ``--scheduler`` names (``local``: a new local
    cluster of worker processes)."""
    from analysis import detect, impact

    if getattr(args, "scheduler", None) is None:
        estimate = functools.partial(detect.estimate_outages, progress=not args.json)
        yield types.SimpleNamespace(estimate_outages=estimate,
                                    regional_impact=impact.regional_impact)  # fmt: skip
        return
    from analysis import distributed

    address = None if args.scheduler == "local" else args.scheduler
    with distributed.connect(address):
        yield types.SimpleNamespace(estimate_outages=distributed.estimate_outages,
                                    regional_impact=distributed.regional_impact)  # fmt: skip


def _load(args: argparse.Namespace) -> pd.DataFrame:
    return load_reports(args.file, args.format, tz=args.tz, sep=args.sep,
                        kind=getattr(args, "kind", None))  # fmt: skip


def _validate(args: argparse.Namespace) -> int:
    reports = _load(args)
    series = describe_reports(reports)
    fmt = sniff_format(args.file) if args.format == "auto" else args.format
    widths = [_duration(w) for w in sorted(series["bin_width"].dropna().unique())]
    summary = {
        "file": str(args.file),
        "format": fmt,
        "rows": len(reports),
        "series": len(series),
        "regions": sorted(reports["region"].unique().tolist()),
        "services": sorted(reports["service"].unique().tolist())
        if "service" in reports.columns
        else [],
        "start_utc": reports["time"].min().isoformat(),
        "end_utc": reports["time"].max().isoformat(),
        "bin_widths": widths,
        "total_reports": int(reports["reports"].sum()),
        "missing_bins": int(series["missing_bins"].sum()),
        "series_with_gaps": int((series["missing_bins"] > 0).sum()),
        "largest_gap": _duration(series["largest_gap"].max()),
    }
    if args.json:
        table = series.reset_index()
        for column in ("start", "end"):
            table[column] = table[column].map(pd.Timestamp.isoformat)
        for column in ("bin_width", "largest_gap"):
            table[column] = table[column].map(_duration)
        summary["by_series"] = table.to_dict(orient="records")
        print(json_text(summary))
        return 0
    regions = summary["regions"]
    shown = ", ".join(regions[:12])
    if len(regions) > 12:
        shown += f", ... ({len(regions)} in all)"
    lines = [
        f"{summary['file']}: valid report frame ({fmt})",
        f"  rows           {summary['rows']:,} in {summary['series']} series",
        f"  regions        {shown}",
    ]
    if summary["services"]:
        lines.append(f"  services       {', '.join(summary['services'])}")
    lines += [
        f"  time span      {summary['start_utc']} to {summary['end_utc']} (UTC, bin starts)",
        f"  bin width      {', '.join(widths) or 'unknown (single bins)'}",
        f"  total reports  {summary['total_reports']:,}",
        f"  gaps           {summary['missing_bins']:,} missing bins in "
        f"{summary['series_with_gaps']} series; largest {summary['largest_gap']}",
        "",
        "Largest series by total reports:",
        series.sort_values("reports", ascending=False)
        .head(10)
        .assign(
            bin_width=lambda t: t["bin_width"].map(_duration),
            largest_gap=lambda t: t["largest_gap"].map(_duration),
        )
        .to_string(),
    ]
    print("\n".join(lines))
    return 0


def _plain_records(table: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: times as ISO 8601, durations in minutes, NaN as null."""
    table = table.copy()
    minutes = {}
    for column in table.columns:
        if isinstance(table[column].dtype, pd.DatetimeTZDtype):
            table[column] = table[column].map(lambda t: None if pd.isna(t) else t.isoformat())
        elif pd.api.types.is_timedelta64_dtype(table[column]):
            table[column] = table[column].dt.total_seconds() / 60
            minutes[column] = f"{column}_min"
    table = table.rename(columns=minutes).astype(object)
    return table.where(table.notna(), None).to_dict(orient="records")


def _detect(args: argparse.Namespace) -> int:
    reports = _load(args)
    with _engine(args) as engine:
        windows = engine.estimate_outages(reports, level=args.level,
                                          min_regions=args.min_regions)  # fmt: skip
    if args.json:
        records = _plain_records(windows)
        print(json_text({"file": str(args.file), "level": args.level, "windows": records}))
        return 0
    if windows.empty:
        print(f"{args.file}: no outage found")
        return 0
    from analysis.baseline import weak_baseline_note
    from analysis.study import depth_text, hours_minutes, partial_text, ranges_text

    shown = windows.assign(
        duration=windows["duration"].map(hours_minutes),
        start=windows["start"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        end=windows["end"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        start_range=ranges_text(windows, "start"),
        end_range=ranges_text(windows, "end"),
        excess=windows["excess_reports"].round().astype(int),
        baseline=np.where(windows["weak_baseline"], "weak", "ok"),
        depth=[depth_text(r) for r in windows.itertuples()],
        partly_back=[partial_text(r) for r in windows.itertuples()],
    )
    keys = [c for c in ("service", "region") if c in shown.columns]
    columns = [*keys, "kind", "start", "end", "duration", "start_range", "end_range",
               "partly_back", "excess", "depth", "estimate", "baseline"]  # fmt: skip
    print(f"{args.file}: {len(windows)} outage windows (UTC; ranges are "
          f"{args.level:.0%} intervals)")  # fmt: skip
    print(shown[columns].to_string(index=False))
    weak = shown.loc[windows["weak_baseline"].to_numpy(bool), "region"].unique()
    if len(weak):
        print(weak_baseline_note(weak))
    return 0


def _impact(args: argparse.Namespace) -> int:
    from analysis.impact import OMITTED, one_per_region, service_reports, summarize_impact
    from analysis.reliance import INDEX_CAVEAT, compare_metrics

    reports = _load(args)
    try:
        main, service = service_reports(reports, args.service, args.rival)
    except ValueError as exc:
        raise ReportDataError(str(args.file), str(exc)) from exc
    with _engine(args) as engine:
        windows = engine.estimate_outages(main, level=args.level, min_regions=args.min_regions)
        if windows.empty:
            print(f"{args.file}: no outage found")
            return 0
        impact = engine.regional_impact(reports, windows, service=service, rival=args.rival,
                                        users_total=args.users_total, level=args.level)  # fmt: skip
    world = summarize_impact(impact, windows)
    kinds = set(impact["kind"])
    metrics = _impact_metrics(kinds)
    comparison = compare_metrics(one_per_region(impact), metrics=metrics, seed=args.seed)
    if args.json:
        summary = world.to_frame().reset_index(names="quantity")
        print(json_text({
            "file": str(args.file), "level": args.level,
            "regions": _plain_records(impact), "world": _plain_records(summary),
            "markets": _plain_records(comparison.reset_index(names="metric")),
        }))  # fmt: skip
        return 0
    shown = impact.sort_values(["user_hours_exposed", "region"], ascending=[False, True])
    shown = shown[_impact_columns(kinds)].assign(
        duration=lambda t: t["duration"].map(lambda d: f"{int(d / pd.Timedelta('1min'))}min")
    )
    print(f"{args.file}: impact in {len(impact)} regions (intervals at {args.level:.0%})")
    print(shown.to_string(index=False, float_format=lambda v: f"{v:,.3g}"))
    for kind in sorted(kinds - {"reports"}):
        print(f"{kind}: not estimated: {OMITTED[kind]}")
    print()
    print(world)
    print()
    print(f"Developing vs developed ({', '.join(metrics)}):")
    keep = ["n", "n_reference", "ratio", "ratio_low", "ratio_high", "mannwhitney_p",
            "permutation_p", "cliffs_delta"]  # fmt: skip
    print(comparison[keep].to_string(float_format=lambda v: f"{v:.3g}"))
    if "index" in kinds:
        print(INDEX_CAVEAT)
    return 0


def _impact_metrics(kinds: set[str]) -> list[str]:
    """The per-region figures compared between markets, for the signal kinds present."""
    metrics = ["excess_per_million_users", "reliance_index"] if "reports" in kinds else []
    return metrics + ["excess_ratio"] + (["depth"] if "level" in kinds else [])


def _impact_columns(kinds: set[str]) -> list[str]:
    """The columns of the CLI's impact table, for the signal kinds present."""
    columns = ["region", "kind", "continent", "market", "duration", "excess_ratio"]
    if kinds - {"reports"}:
        columns += ["excess_ratio_low", "excess_ratio_high"]
    if "level" in kinds:
        columns += ["depth", "depth_low", "depth_high", "lost_share_hours"]
    if "reports" in kinds:
        columns += ["excess_reports", "excess_per_million_users", "awake_share",
                    "reliance_index", "user_hours_exposed", "rival_uplift",
                    "cost_usd_exposed"]  # fmt: skip
    return columns


def _simulate(args: argparse.Namespace) -> int:
    from analysis import scenarios
    from analysis.simulate import simulate

    make = getattr(scenarios, args.scenario)
    options: dict = {"freq": args.freq}
    if args.regions:
        options["regions"] = tuple(r.strip() for r in args.regions.split(","))
    if args.days_before is not None:
        if args.scenario == "quiet":
            options["days"] = args.days_before + 1
        else:
            options["days_before"] = args.days_before
    try:
        scenario = make(**options)
        if args.scale != 1:  # a tracker following many services: every rate scaled
            rep = scenario.reporting
            scenario = scenario.replace(reporting=dataclasses.replace(
                rep, background_rate=rep.background_rate * args.scale,
                outage_rate=rep.outage_rate * args.scale))  # fmt: skip
    except ValueError as exc:
        raise ReportDataError("scenario", str(exc)) from exc
    sim = simulate(scenario, seed=args.seed, progress=not args.quiet)
    paths = write_simulation(sim, args.out)
    if args.log:
        from analysis.logs import write_log

        paths += write_log(sim, Path(args.out) / "log", seed=args.seed)
    if args.json:
        print(json_text({"rows": len(sim.reports), "files": [str(p) for p in paths]}, indent=None))
    else:
        print(f"{sim!r}\nwrote {', '.join(p.name for p in paths)} to {args.out}/")
    return 0


def _aggregate(args: argparse.Namespace) -> int:
    from analysis import distributed
    from analysis.logs import aggregate_reports, read_log

    address = None if args.scheduler == "local" else args.scheduler
    with distributed.connect(address, workers=args.workers):
        reports = aggregate_reports(read_log(args.log), args.freq, per_user=args.per_user)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    reports.to_parquet(args.out, index=False)
    summary = {"log": str(args.log), "out": str(args.out), "rows": len(reports),
               "reports": int(reports["reports"].sum()),
               "series": int(reports.groupby(["service", "region"]).ngroups)}  # fmt: skip
    if args.json:
        print(json_text(summary, indent=None))
    else:
        print(f"{args.log}: {summary['reports']:,} reports counted into {summary['rows']:,} "
              f"bins of {summary['series']} series; wrote {args.out}")  # fmt: skip
    return 0


def _case(args: argparse.Namespace) -> int:
    from analysis.case import whatsapp_2017_case

    case = whatsapp_2017_case(args.seed, days_before=args.days_before, freq=args.freq)
    if args.json:
        table = case.table()
        print(json_text(dict(zip(table["figure"], table["estimate"], strict=True))))
    else:
        print(case.markdown())
    return 0


def _figures(args: argparse.Namespace) -> int:
    from analysis.figures import build_all

    notebooks = None if args.no_notebooks else args.notebooks
    written = build_all(args.out, png=not args.no_png, notebooks_dir=notebooks,
                        reports_dir=args.reports)  # fmt: skip
    print(f"wrote {len(written)} files to {args.out}/ (open {args.out}/index.html)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m analysis``: one subcommand per step."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis",
        description="Outage duration, regional impact and reliance from problem reports.",
    )
    steps = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    validate = steps.add_parser(
        "validate", help="check a report file and print a one-screen summary"
    )
    _add_input(validate)
    validate.set_defaults(run=_validate)
    detect = steps.add_parser("detect", help="estimate outage windows with intervals")
    _add_input(detect)
    _add_analysis_options(detect)
    detect.set_defaults(run=_detect)
    for add in (_add_impact, _add_aggregate, _add_simulate, _add_case, _add_figures):
        add(steps)
    return parser


def _add_impact(steps: argparse._SubParsersAction) -> None:
    impact = steps.add_parser(
        "impact", help="regional impact of the outages found, and the market comparison"
    )
    _add_input(impact)
    _add_analysis_options(impact)
    impact.add_argument("--service", help="service whose outage is measured (if several)")
    impact.add_argument("--rival", default="telegram", help="rival service (default telegram)")
    impact.add_argument(
        "--users-total",
        type=float,
        help="scale users to this world total (e.g. 1.2e9 for May 2017)",
    )
    impact.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    impact.set_defaults(run=_impact)


def _add_aggregate(steps: argparse._SubParsersAction) -> None:
    aggregate = steps.add_parser(
        "aggregate", help="count a raw report log (partitioned Parquet) into a report frame"
    )
    aggregate.add_argument("log", type=Path, help="folder of Parquet files (or one file)")
    aggregate.add_argument("--out", type=Path, required=True, help="report frame (.parquet)")
    aggregate.add_argument("--freq", default="1min", help="bin width (default 1min)")
    aggregate.add_argument("--per-user", help="count a user once per period (e.g. 1h)")
    aggregate.add_argument("--scheduler", default="local",
                           help="Dask scheduler address, or 'local' (default) for a local "
                           "cluster")  # fmt: skip
    aggregate.add_argument("--workers", type=int, default=2, help="workers of a local cluster")
    aggregate.add_argument("--json", action="store_true", help="print JSON instead of text")
    aggregate.set_defaults(run=_aggregate)


def _add_simulate(steps: argparse._SubParsersAction) -> None:
    sim = steps.add_parser("simulate", help="simulate report series with ground truth")
    sim.add_argument(
        "--scenario",
        default="whatsapp_2017",
        choices=("whatsapp_2017", "long_outage", "regional", "quiet"),
    )
    sim.add_argument("--seed", type=int, required=True, help="seed of all randomness")
    sim.add_argument("--out", type=Path, required=True, help="output folder")
    sim.add_argument("--freq", default="1min", help="bin width, 1min to 1h (default 1min)")
    sim.add_argument("--days-before", type=int, help="days of history before the outage")
    sim.add_argument("--regions", help="comma-separated ISO-3 codes (default: all)")
    sim.add_argument(
        "--log",
        action="store_true",
        help="also write the raw log of individual reports (log/part-*.parquet)",
    )
    sim.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every reporting rate (e.g. 100 for a 100x larger log)",
    )
    sim.add_argument("--quiet", action="store_true", help="no progress bar")
    sim.add_argument("--json", action="store_true", help="print JSON instead of text")
    sim.set_defaults(run=_simulate)


def _add_case(steps: argparse._SubParsersAction) -> None:
    case = steps.add_parser(
        "case", help="the simulated 3 May 2017 case's headline figures (the README's table)"
    )
    case.add_argument("--seed", type=int, default=7, help="seed of the simulation (default 7)")
    case.add_argument("--days-before", type=int, default=7, help="days of history (default 7)")
    case.add_argument("--freq", default="1min", help="bin width (default 1min)")
    case.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    case.set_defaults(run=_case)


def _add_figures(steps: argparse._SubParsersAction) -> None:
    figures = steps.add_parser("figures", help="write every figure (HTML and PNG) to a folder")
    figures.add_argument("--out", type=Path, default=Path("figures"), help="output folder")
    figures.add_argument("--no-png", action="store_true", help="skip the static PNG export")
    figures.add_argument(
        "--notebooks",
        type=Path,
        default=Path("notebooks"),
        help="folder of the notebooks, executed on the same case (default notebooks)",
    )
    figures.add_argument(
        "--reports",
        type=Path,
        default=Path("reports"),
        help="where the executed notebooks go (default reports)",
    )
    figures.add_argument("--no-notebooks", action="store_true", help="do not run the notebooks")
    figures.set_defaults(run=_figures)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 success, 1 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ReportDataError, FileNotFoundError, IsADirectoryError) as exc:
        print(f"error: {_cli_wording(exc)}", file=sys.stderr)
        return 1


def _cli_wording(exc: Exception) -> str:
    """The error's message, with the library's hints in the command line's terms."""
    return str(exc).replace("pass tz='UTC' or the zone", "pass --tz UTC or the zone")


if __name__ == "__main__":
    sys.exit(main())
