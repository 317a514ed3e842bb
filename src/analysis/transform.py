"""Reshaping report frames without losing a report: coarser bins, regional totals, filled gaps.

Every function here conserves the total of report counts: what goes in comes out, and an
``observed_share`` column says where a bin holds less than its full span. Series of kind
``level`` or ``index`` (rates, not counts) are averaged instead of summed.
"""

from __future__ import annotations

import pandas as pd

from analysis.schema import ReportDataError, bin_widths, group_keys, iter_series, width_text

__all__ = ["aggregate_regions", "fill_gaps", "resample_reports"]


def _report_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in ("time", "region", "reports", "service", "kind") if c in df.columns]


#: Optional column: the share of a bin's span that was observed (``resample_reports`` and
#: ``aggregate_regions`` write it; the baseline scales its expectation by it).
SHARE = "observed_share"


def resample_reports(
    df: pd.DataFrame, freq: str | pd.Timedelta, *, partial: str = "mark"
) -> pd.DataFrame:
    """Sum a report frame into coarser bins, saying how much of each was observed.

    Bins start at multiples of ``freq`` counted from the Unix epoch (so 1-hour bins start on
    the hour, UTC). A coarse bin holds the sum of the fine bins observed in it (their mean
    for series of kind ``level`` or ``index``, which are rates, not counts), and
    ``observed_share`` says which share of its fine bins (weighted by their own
    ``observed_share``, if the frame has one) that is: a bin with 5 of 60 minutes observed
    holds their reports with share 1/12, not a full hour's. A coarse bin with no observed
    fine bin is absent (a gap stays a gap).

    Parameters
    ----------
    df : DataFrame
        A valid report frame (see :func:`~analysis.schema.validate_reports`).
    freq : str or Timedelta
        New bin width (``"15min"``, ``"1h"``); a whole multiple of every series' bin width.
    partial : {"mark", "refuse"}
        What to do with partly observed coarse bins: keep them with their share (the
        baseline then expects only that share of its reports), or raise.

    Returns
    -------
    DataFrame
        A report frame with the columns ``time, region, reports`` (and ``service``) and
        ``observed_share`` (in (0, 1]); other columns are not carried over.
        ``reports.sum()`` is unchanged.

    Raises
    ------
    ReportDataError
        If ``freq`` is not a whole multiple of a series' bin width, or with
        ``partial="refuse"`` if a coarse bin is partly observed (naming the first ones).

    Examples
    --------
    >>> t = pd.date_range("2017-05-03 20:00", periods=3, freq="15min", tz="UTC")
    >>> df = pd.DataFrame({"time": t, "region": "BRA", "reports": [1, 2, 3]})
    >>> out = resample_reports(df, "1h")
    >>> out["reports"].tolist(), out["observed_share"].tolist()
    ([6], [0.75])
    """
    if partial not in ("mark", "refuse"):
        raise ValueError(f"partial must be 'mark' or 'refuse', got {partial!r}")
    width = pd.Timedelta(freq)
    if width <= pd.Timedelta(0):
        raise ValueError(f"freq must be positive, got {freq!r}")
    source = df.attrs.get("source", "<DataFrame>")
    widths = bin_widths(df).dropna()
    bad = widths[(width.value % widths.astype("int64")) != 0]
    if not bad.empty:
        raise ReportDataError(
            source,
            f"cannot resample to {width}: not a whole multiple of the bin width of "
            f"{list(bad.index[:5])} ({list(bad.astype(str)[:5])})",
            column="time",
        )
    keys = group_keys(df)
    fine = _fine_widths(df, keys, widths, width)
    kept = [*keys, "kind"] if "kind" in df.columns else keys  # one kind per series
    share = df[SHARE] if SHARE in df.columns else 1.0
    binned = df.assign(time=df["time"].dt.floor(width), _share=share * fine / width)
    out = binned.groupby([*kept, "time"], sort=True, as_index=False).agg(
        reports=("reports", "sum"), mean=("reports", "mean"), observed_share=("_share", "sum")
    )
    out[SHARE] = out[SHARE].clip(upper=1.0)  # float sums of exact fractions
    if "kind" in out.columns and (out["kind"] != "reports").any():
        # a level or an index is a rate, not a count: its coarse bin is the mean of the fine
        # bins observed in it
        out["reports"] = out["reports"].where(out["kind"] == "reports", out["mean"])
    if partial == "refuse":
        _refuse_partial(out, width, source)
    return out[[*_report_columns(out), SHARE]]


def _fine_widths(
    df: pd.DataFrame, keys: list[str], widths: pd.Series, coarse: pd.Timedelta
) -> pd.Series:
    """Each row's series bin width; a single-bin series shows none and counts as observed
    over its whole coarse bin."""
    index = pd.MultiIndex.from_frame(df[keys]) if len(keys) > 1 else pd.Index(df[keys[0]])
    fine = pd.Series(widths.reindex(index).to_numpy(), index=df.index)
    return fine.fillna(coarse)


def _refuse_partial(out: pd.DataFrame, width: pd.Timedelta, source: str) -> None:
    partly = out[SHARE] < 1 - 1e-9
    if partly.any():
        first = ", ".join(
            f"{r.region} {r.time:%Y-%m-%d %H:%M} ({r.observed_share:.0%})"
            for r in out[partly].head(3).itertuples()
        )
        raise ReportDataError(
            source,
            f"{int(partly.sum())} of {len(out)} bins of {width_text(width)} would be partly "
            f"observed (first: {first}); pass partial='mark' to keep them with their "
            "observed share",
            column="time",
        )


def aggregate_regions(
    df: pd.DataFrame, *, regions: list[str] | None = None, to: str = "WLD"
) -> pd.DataFrame:
    """Sum regions into one series per service (the worldwide total by default).

    At a time bin where some regions have no data, the total is the sum of those observed,
    and ``observed_share`` says which share of the regions' usual reports that is (each
    region weighted by its mean reports per bin, times its own ``observed_share`` if the
    frame has one): a region's gap is not a dip in the total.

    Parameters
    ----------
    df : DataFrame
        A valid report frame whose series share one bin width.
    regions : list of str, optional
        The regions to add up (default: all but ``to``).
    to : str
        Region code of the total.

    Returns
    -------
    DataFrame
        A report frame with only region ``to``, and ``observed_share`` (in (0, 1]).

    Examples
    --------
    >>> t = pd.Timestamp("2017-05-03 20:00", tz="UTC")
    >>> df = pd.DataFrame({"time": [t, t], "region": ["BRA", "IND"], "reports": [3, 4]})
    >>> out = aggregate_regions(df)
    >>> out["reports"].tolist(), out["observed_share"].tolist()
    ([7], [1.0])
    """
    chosen = df[df["region"] != to] if regions is None else df[df["region"].isin(regions)]
    if regions is not None:
        absent = sorted(set(regions) - set(chosen["region"]))
        if absent:
            raise KeyError(f"regions not in the frame: {absent}")
    widths = bin_widths(chosen).dropna().unique()
    if len(widths) > 1:
        raise ReportDataError(
            df.attrs.get("source", "<DataFrame>"),
            f"regions have different bin widths {sorted(map(str, widths))}; "
            "resample_reports() them to a common width first",
            column="time",
        )
    services = ["service"] if "service" in df.columns else []
    kinds = sorted(chosen["kind"].unique()) if "kind" in chosen.columns else []
    if len(kinds) > 1:
        raise ReportDataError(
            df.attrs.get("source", "<DataFrame>"),
            f"regions of different kinds {kinds} cannot be added up",
            column="kind",
        )
    if "kind" in chosen.columns:
        services = [*services, "kind"]
    key = [*services, "region"]
    frame = chosen.join(_region_weights(chosen, key).rename("_weight"), on=key)
    share = frame["_weight"] * (frame[SHARE] if SHARE in frame.columns else 1.0)
    out = frame.assign(_share=share).groupby([*services, "time"], sort=True, as_index=False)
    out = out.agg(reports=("reports", "sum"), observed_share=("_share", "sum"))
    out[SHARE] = out[SHARE].clip(upper=1.0)  # float sums of exact fractions
    out["region"] = to
    return out[[*_report_columns(out), SHARE]]


def _region_weights(chosen: pd.DataFrame, key: list[str]) -> pd.Series:
    """Each region's share of its service's usual reports (mean per bin; equal shares where
    a service has no report at all)."""
    means = chosen.groupby(key)["reports"].mean().astype(float)
    level = "service" if "service" in key else None
    by = means.groupby(level=level) if level else means.groupby(lambda _: 0)
    total, count = by.transform("sum"), by.transform("size")
    return (means / total).where(total > 0, 1.0 / count)


def fill_gaps(df: pd.DataFrame, *, value: int = 0) -> pd.DataFrame:
    """Insert the missing bins of every series, with ``value`` reports.

    Only bins between a series' first and last bin are inserted. Use it only when a missing
    bin truly means ``value`` reports; by default the package keeps gaps as gaps. The column
    ``filled`` marks the inserted bins: the reports of the others add up to the input's
    total, and with ``value > 0`` the inserted ones add ``value`` each.

    Parameters
    ----------
    df : DataFrame
        A valid report frame.
    value : int
        Reports given to each inserted bin (>= 0).

    Returns
    -------
    DataFrame
        A report frame with regular, gap-free series, sorted, and the boolean column
        ``filled`` (True for an inserted bin).

    Examples
    --------
    >>> t = pd.to_datetime(["2017-05-03 20:00", "2017-05-03 20:01", "2017-05-03 20:03"],
    ...                    utc=True)
    >>> df = pd.DataFrame({"time": t, "region": "BRA", "reports": [2, 5, 1]})
    >>> fill_gaps(df)["reports"].tolist()  # 1-minute bins: 20:02 was missing
    [2, 5, 0, 1]
    """
    if value < 0:
        raise ValueError("value must be >= 0")
    keys = group_keys(df)
    parts = []
    for key, series, width in iter_series(df):
        before = series["filled"].astype(bool) if "filled" in series else False
        series = series.assign(filled=before)  # bins inserted by an earlier call stay marked
        if pd.isna(width):
            parts.append(series)
            continue
        full = pd.date_range(series["time"].min(), series["time"].max(), freq=width)
        filled = series.set_index("time").reindex(full)
        filled.index.name = "time"
        filled["filled"] = filled["filled"].isna() | filled["filled"].fillna(False).astype(bool)
        filled["reports"] = filled["reports"].fillna(value).astype("int64")
        for k, v in zip(keys, key, strict=True):
            filled[k] = v
        if "kind" in filled:  # one kind per series
            filled["kind"] = series["kind"].iloc[0]
        parts.append(filled.reset_index())
    out = pd.concat(parts, ignore_index=True)
    return out[_report_columns(out) + [c for c in out.columns if c not in _report_columns(out)]]
