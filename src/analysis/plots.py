"""Figures: one function per figure, data in, :class:`plotly.graph_objects.Figure` out, no I/O.

Colours come from the Okabe-Ito palette (categories) and viridis / cividis (continuous
scales), which stay distinguishable with the common forms of colour blindness. Times are
labelled in UTC. Maps use plotly's ``world_110m`` shapes, which :mod:`analysis.figures` and
:func:`analysis.offline.use_offline_maps` supply from the package (no network).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.reliance import PER_USER_METRICS

if TYPE_CHECKING:
    from analysis.reliance import MarketComparison

__all__ = [
    "OKABE_ITO",
    "events_timeline",
    "impact_dots",
    "impact_map",
    "market_comparison",
    "reliance_vs_income",
    "report_timeline",
    "reports_animation",
    "rival_substitution",
    "timeline_grid",
]

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
_LAYOUT = {"template": "plotly_white", "font": {"size": 13}, "hoverlabel": {"align": "left"}}
#: World map settings: Natural Earth projection centred on Greenwich, Antarctica cut off,
#: 1:110m shapes (shipped with the package, see :mod:`analysis.figures`).
_GEO = {"projection_type": "natural earth", "projection_rotation_lon": 0,
        "lataxis_range": [-57, 85], "showcountries": True, "showframe": False,
        "resolution": 110, "landcolor": "#eeeeee", "showland": True}  # fmt: skip
#: Colour of each market class.
MARKET_COLOURS = {"developing": OKABE_ITO[1], "developed": OKABE_ITO[0]}
#: Axis titles of the impact metrics (with units).
METRIC_LABELS = {
    "excess_reports": "excess reports",
    "excess_per_million_users": "excess reports per million users (naive)",
    "excess_per_million_awake": "excess reports per million users awake",
    "reliance_index": "reliance index (excess reports per million active user-hours)",
    "excess_ratio": "excess reports / reports normally expected",
    "user_hours_exposed": "awake user-hours in the window (everyone there)",
    "rival_uplift": "rival sign-ups above normal (relative)",
    "cost_usd_exposed": "cost if every user there was cut off (US$)",
}


def events_timeline(events: pd.DataFrame) -> go.Figure:
    """The catalogue of real outages on a timeline.

    One marker per outage at its reported start (UTC), one row per service; the marker's
    area grows with the reported duration (outages without a reported duration are drawn
    as open markers); hover shows scope, timing and sources.

    Parameters
    ----------
    events : DataFrame
        As returned by :func:`analysis.io.load_events`.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> from analysis.io import load_events
    >>> fig = events_timeline(load_events())
    >>> len(fig.data) >= 1
    True
    """
    fig = go.Figure()
    hours = (events["duration"] / pd.Timedelta("1h")).astype("Float64")
    biggest = float(hours.max()) if hours.notna().any() else 1.0
    for i, (service, group) in enumerate(events.groupby("service", sort=True)):
        h = hours.loc[group.index]
        known = h.notna().to_numpy()
        size = np.where(known, 12 + 30 * np.sqrt(h.fillna(0).to_numpy(float) / biggest), 14)
        end = group["end_utc"].dt.strftime("%Y-%m-%d %H:%M UTC").fillna("not reported")
        duration = h.map(lambda v: "not reported" if pd.isna(v) else f"{v:.1f} h")
        fig.add_trace(
            go.Scatter(
                x=group["start_utc"],
                y=[service] * len(group),
                mode="markers",
                name=service,
                marker={
                    "size": size,
                    "color": OKABE_ITO[i % len(OKABE_ITO)],
                    "symbol": np.where(known, "circle", "circle-open"),
                    "line": {"width": 1.5, "color": OKABE_ITO[i % len(OKABE_ITO)]},
                    "opacity": 0.8,
                },
                customdata=np.column_stack(
                    [
                        group["start_utc_low"].dt.strftime("%H:%M"),
                        group["start_utc_high"].dt.strftime("%H:%M"),
                        end,
                        duration,
                        group["scope"],
                        group["source"],
                    ]
                ),
                hovertemplate=(
                    "<b>%{x|%Y-%m-%d %H:%M} UTC</b> (reported starts %{customdata[0]}"
                    "–%{customdata[1]})<br>end: %{customdata[2]}<br>duration: %{customdata[3]}"
                    "<br>scope: %{customdata[4]}<br>sources: %{customdata[5]}<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        title="Reported outages of WhatsApp and the Facebook family of apps",
        xaxis_title="reported start (UTC)",
        yaxis_title="service",
        showlegend=False,
        height=380,
        margin={"b": 100},
        **_LAYOUT,
    )
    fig.add_annotation(
        text="marker area ∝ reported duration; open marker: no duration reported",
        xref="paper",
        yref="paper",
        x=0,
        y=-0.38,
        showarrow=False,
        font={"size": 11},
    )
    return fig


def _label(metric: str) -> str:
    return METRIC_LABELS.get(metric, metric.replace("_", " "))


def _one_service(rows: pd.DataFrame, service: str | None) -> tuple[pd.DataFrame, str | None]:
    """The rows of ``service`` (default: the most frequent one), and that service."""
    if "service" not in rows.columns or rows.empty:
        return rows, service
    service = service or rows["service"].mode().iloc[0]
    return rows[rows["service"] == service], service


def _series(expected: pd.DataFrame, region: str, service: str | None) -> pd.DataFrame:
    rows, service = _one_service(expected[expected["region"] == region], service)
    if rows.empty:
        raise ValueError(f"no series for region {region!r} (service {service!r})")
    return rows.sort_values("time")


def _add_series(
    fig: go.Figure,
    rows: pd.DataFrame,
    windows: pd.DataFrame | None,
    region: str,
    *,
    row: int | None = None,
    col: int | None = None,
    legend: bool = True,
) -> None:
    """Band, expected line, observed reports and the estimated window(s) of one region."""
    where = {"row": row, "col": col} if row is not None else {}
    band = np.concatenate([rows["upper"].to_numpy(), rows["lower"].to_numpy()[::-1]])
    times = pd.concat([rows["time"], rows["time"].iloc[::-1]])
    fig.add_trace(
        go.Scatter(
            x=times,
            y=band,
            fill="toself",
            fillcolor="rgba(86,180,233,0.25)",
            line={"width": 0},
            name="90% band of normal reports",
            hoverinfo="skip",
            showlegend=legend,
            legendgroup="band",
        ),
        **where,
    )
    fig.add_trace(go.Scatter(x=rows["time"], y=rows["expected"], mode="lines",
                             line={"color": OKABE_ITO[0], "dash": "dash", "width": 1.5},
                             name="expected (baseline)", showlegend=legend, legendgroup="exp",
                             hovertemplate="%{x|%H:%M} UTC: %{y:.1f} expected<extra></extra>"),
                  **where)  # fmt: skip
    fig.add_trace(go.Scatter(x=rows["time"], y=rows["reports"], mode="lines",
                             line={"color": OKABE_ITO[7], "width": 1.2}, name="reports",
                             showlegend=legend, legendgroup="obs",
                             hovertemplate="%{x|%Y-%m-%d %H:%M} UTC: %{y} reports<extra></extra>"),
                  **where)  # fmt: skip
    if windows is None:
        return
    for w in windows[windows["region"] == region].itertuples():
        for lo, hi in ((getattr(w, "start_low", None), getattr(w, "start_high", None)),
                       (getattr(w, "end_low", None), getattr(w, "end_high", None))):  # fmt: skip
            if lo is None or pd.isna(lo):
                continue
            hi = w.end if pd.isna(hi) else hi  # an outage still going on when the data end
            fig.add_vrect(x0=lo, x1=hi, fillcolor=OKABE_ITO[4], opacity=0.25, line_width=0,
                          **where)  # fmt: skip
        fig.add_vrect(x0=w.start, x1=w.end, fillcolor=OKABE_ITO[1], opacity=0.12,
                      line={"color": OKABE_ITO[1], "width": 1.5}, **where)  # fmt: skip


def _around(rows: pd.DataFrame, windows: pd.DataFrame | None, region: str,
            around: pd.Timedelta) -> pd.DataFrame:  # fmt: skip
    if windows is None or not (windows["region"] == region).any():
        return rows
    mine = windows[windows["region"] == region]
    lo, hi = mine["start"].min() - around, mine["end"].max() + around
    return rows[(rows["time"] >= lo) & (rows["time"] <= hi)]


def report_timeline(
    expected: pd.DataFrame,
    windows: pd.DataFrame | None = None,
    *,
    region: str,
    service: str | None = None,
    around: str | pd.Timedelta = "6h",
    signal: str = "Problem reports",
) -> go.Figure:
    """One region's reports against the baseline band, with the estimated outage window.

    Parameters
    ----------
    expected : DataFrame
        :func:`~analysis.expected_reports` output (reports, expected, lower, upper per bin).
    windows : DataFrame, optional
        :func:`~analysis.estimate_outages` output: the window is shaded (orange) and the 90%
        intervals of its start and end (yellow).
    region : str
        ISO-3 code.
    service : str, optional
        Which service's series (default: the most frequent).
    around : str or Timedelta
        Time shown before the first start and after the last end.
    signal : str
        What the series measures, for the title and the axis (e.g. ``"Signal level"``).

    Examples
    --------
    >>> from analysis import expected_reports, scenarios, simulate
    >>> sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min",
    ...                regions=("BRA",)), seed=1)
    >>> fig = report_timeline(expected_reports(sim.reports), sim.truth, region="BRA")
    >>> [t.name for t in fig.data]
    ['90% band of normal reports', 'expected (baseline)', 'reports']
    """
    rows = _around(_series(expected, region, service), windows, region, pd.Timedelta(around))
    fig = go.Figure()
    _add_series(fig, rows, windows, region)
    fig.update_layout(title=f"{signal} in {region}: observed, expected, estimated outage",
                      xaxis_title="time (UTC)", yaxis_title=f"{signal.lower()} per bin", height=450,
                      legend={"orientation": "h", "y": -0.2}, **_LAYOUT)  # fmt: skip
    return fig


def timeline_grid(
    expected: pd.DataFrame,
    windows: pd.DataFrame | None = None,
    *,
    regions: list[str] | tuple[str, ...],
    service: str | None = None,
    around: str | pd.Timedelta = "4h",
    cols: int = 3,
) -> go.Figure:
    """Small multiples of :func:`report_timeline`, one panel per region (own y scale).

    Examples
    --------
    >>> from analysis import expected_reports, scenarios, simulate
    >>> sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min",
    ...                regions=("BRA", "IND")), seed=1)
    >>> fig = timeline_grid(expected_reports(sim.reports), sim.truth, regions=["BRA", "IND"])
    >>> len(fig.data)
    6
    """
    regions = list(regions)
    nrows = -(-len(regions) // cols)
    spacing = min(0.3 / nrows, 0.12)
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=regions,
                        vertical_spacing=spacing, horizontal_spacing=0.06)  # fmt: skip
    for i, region in enumerate(regions):
        rows = _around(_series(expected, region, service), windows, region, pd.Timedelta(around))
        _add_series(fig, rows, windows, region, row=i // cols + 1, col=i % cols + 1,
                    legend=i == 0)  # fmt: skip
    fig.update_xaxes(tickformat="%H:%M")
    fig.update_layout(title="Reports against their baseline, with the estimated windows (UTC)",
                      height=260 * nrows + 120, legend={"orientation": "h", "y": -0.08},
                      **_LAYOUT)  # fmt: skip
    return fig


def _hover(impact: pd.DataFrame, metric: str) -> tuple[np.ndarray, str]:
    data = np.column_stack([
        impact["name"].fillna(impact["region"]), impact["market"].fillna("unclassified"),
        impact[metric], impact["excess_reports"].round(0), impact["awake_share"] * 100,
        impact["users"] / 1e6, impact["duration"].dt.total_seconds() / 60,
    ])  # fmt: skip
    template = (
        "<b>%{customdata[0]}</b> (%{customdata[1]})<br>"
        + _label(metric)
        + ": %{customdata[2]:.3g}<br>excess reports: %{customdata[3]:,.0f}<br>awake during "
        "the outage: %{customdata[4]:.0f}%<br>users: %{customdata[5]:.1f} million<br>"
        "outage: %{customdata[6]:.0f} min<extra></extra>"
    )
    return data, template


def impact_map(impact: pd.DataFrame, metric: str = "reliance_index") -> go.Figure:
    """World choropleth of a regional-impact metric (:func:`~analysis.regional_impact`).

    Examples
    --------
    >>> table = pd.DataFrame({"region": ["BRA", "IND"], "name": ["Brazil", "India"],
    ...     "market": "developing", "reliance_index": [300.0, 250.0], "excess_reports": 1.0,
    ...     "awake_share": 0.5, "users": 1e8, "duration": pd.Timedelta("2h")})
    >>> impact_map(table).data[0].locations.tolist()
    ['BRA', 'IND']
    """
    data, template = _hover(impact, metric)
    fig = go.Figure(go.Choropleth(
        locations=impact["region"], z=impact[metric], locationmode="ISO-3",
        colorscale="Viridis", colorbar={"title": {"text": _label(metric).split(" (")[0]}},
        marker={"line": {"color": "white", "width": 0.3}}, customdata=data,
        hovertemplate=template,
    ))  # fmt: skip
    fig.update_geos(**_GEO)
    fig.update_layout(title=f"{_label(metric).capitalize()} by country", height=520,
                      margin={"l": 0, "r": 0, "t": 60, "b": 0}, **_LAYOUT)  # fmt: skip
    return fig


def reports_animation(
    expected: pd.DataFrame,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    every: str | pd.Timedelta = "15min",
    service: str | None = None,
) -> go.Figure:
    """Animated world map of reports relative to normal, one frame every ``every``.

    Each frame colours every country by observed / expected reports over the ``every``
    interval (log scale: 1 = normal), from ``start`` to ``end`` (UTC).

    Examples
    --------
    >>> from analysis import expected_reports, scenarios, simulate
    >>> sim = simulate(scenarios.whatsapp_2017(days_before=3, freq="15min",
    ...                regions=("BRA", "IND")), seed=1)
    >>> fig = reports_animation(expected_reports(sim.reports),
    ...     pd.Timestamp("2017-05-03T19:30Z"), pd.Timestamp("2017-05-03T23:00Z"))
    >>> len(fig.frames)
    14
    """
    rows, _ = _one_service(expected, service)
    step = pd.Timedelta(every)
    start = pd.Timestamp(start).floor(step)
    rows = rows[(rows["time"] >= start) & (rows["time"] < end)]
    binned = rows.assign(frame=(rows["time"] - start) // step)
    totals = binned.groupby(["frame", "region"], as_index=False)[["reports", "expected"]].sum()
    totals["ratio"] = (totals["reports"] + 0.5) / (totals["expected"] + 0.5)
    totals["log_ratio"] = np.log10(totals["ratio"])
    frames = []
    zmax = float(max(totals["log_ratio"].max(), 1.0))
    for frame, part in totals.groupby("frame"):
        label = (start + frame * step).strftime("%H:%M UTC")
        frames.append(go.Frame(name=label, data=[go.Choropleth(
            locations=part["region"], z=part["log_ratio"], locationmode="ISO-3",
            zmin=0, zmax=zmax, colorscale="Cividis", customdata=part[["ratio", "reports"]],
            colorbar={"title": {"text": "reports / normal"}, "tickvals": [0, 1, 2, 3],
                      "ticktext": ["1x", "10x", "100x", "1000x"]},
            hovertemplate="%{location}: %{customdata[1]} reports, %{customdata[0]:.1f}x normal"
            "<extra></extra>")]))  # fmt: skip
    if not frames:
        raise ValueError(f"no reports between {start} and {end}")
    # the figure opens (and exports) on the frame where reports are furthest above normal
    peak = int(totals.groupby("frame")["log_ratio"].median().to_numpy().argmax())
    fig = go.Figure(data=frames[peak].data, frames=frames)
    fig.update_geos(**_GEO)
    steps = [{"label": f.name, "method": "animate",
              "args": [[f.name], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}]}
             for f in frames]  # fmt: skip
    fig.update_layout(
        title=f"Reports relative to normal, every {int(step / pd.Timedelta('1min'))} minutes",
        height=560, margin={"l": 0, "r": 0, "t": 60, "b": 0},
        sliders=[{"steps": steps, "active": peak, "currentvalue": {"prefix": "bins from "},
                  "y": 0.02}],
        updatemenus=[{"type": "buttons", "showactive": False, "y": 0.12, "x": 0.02,
                      "buttons": [{"label": "play", "method": "animate", "args": [None, {
                          "frame": {"duration": 600, "redraw": True}, "fromcurrent": True}]}]}],
        **_LAYOUT,
    )  # fmt: skip
    return fig


def impact_dots(
    impact: pd.DataFrame, metric: str = "excess_per_million_users", *, top: int = 30
) -> go.Figure:
    """Dot plot of a per-region metric with its interval, the ``top`` regions by the metric.

    Uses ``metric_low``/``metric_high`` where the table has them (90% intervals).

    Examples
    --------
    >>> table = pd.DataFrame({"region": ["BRA", "IND"], "name": ["Brazil", "India"],
    ...     "market": "developing", "reliance_index": [300.0, 250.0],
    ...     "reliance_index_low": [280.0, 200.0], "reliance_index_high": [320.0, 300.0],
    ...     "excess_reports": 1.0, "awake_share": 0.5, "users": 1e8,
    ...     "duration": pd.Timedelta("2h")})
    >>> impact_dots(table, "reliance_index").data[0].y.tolist()
    ['India', 'Brazil']
    """
    shown = impact.dropna(subset=[metric]).nlargest(top, metric).iloc[::-1]
    fig = go.Figure()
    for market, colour in [*MARKET_COLOURS.items(), ("unclassified", OKABE_ITO[7])]:
        part = shown[shown["market"].fillna("unclassified") == market]
        if part.empty:
            continue
        data, template = _hover(part, metric)
        error = None
        if f"{metric}_low" in part.columns:
            error = {"type": "data", "symmetric": False, "color": colour, "thickness": 1.2,
                     "array": part[f"{metric}_high"] - part[metric],
                     "arrayminus": part[metric] - part[f"{metric}_low"]}  # fmt: skip
        fig.add_trace(go.Scatter(x=part[metric], y=part["name"].fillna(part["region"]),
                                 mode="markers", name=market, error_x=error,
                                 marker={"color": colour, "size": 9}, customdata=data,
                                 hovertemplate=template))  # fmt: skip
    order = shown["name"].fillna(shown["region"]).tolist()
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    fig.update_layout(title=f"{_label(metric).capitalize()}, top {len(shown)} (90% intervals)",
                      xaxis_title=_label(metric), height=max(400, 22 * len(shown) + 150),
                      **_LAYOUT)  # fmt: skip
    return fig


def market_comparison(result: MarketComparison) -> go.Figure:
    """Developing vs developed: every region's value (strip) over a box per market, with the
    Hodges-Lehmann ratio (or shift), its interval and the permutation p-value.

    Examples
    --------
    >>> from analysis import compare_markets
    >>> table = pd.DataFrame({"region": ["BRA", "IND", "NGA", "DEU", "USA", "FRA"],
    ...                       "reliance_index": [3.0, 2.5, 2.8, 1.4, 1.5, 1.2]})
    >>> fig = market_comparison(compare_markets(table, n_boot=100, n_perm=100))
    >>> [t.name for t in fig.data]
    ['developing', 'developed']
    """
    values = result.by_region
    fig = go.Figure()
    for market in ("developing", "developed"):
        part = values[values["market"] == market]
        fig.add_trace(go.Box(y=part["value"], x=[market] * len(part), name=market,
                             boxpoints="all", jitter=0.5, pointpos=0, text=part["region"],
                             marker={"color": MARKET_COLOURS[market], "size": 6, "opacity": 0.7},
                             line={"color": MARKET_COLOURS[market]},
                             hovertemplate="%{text}: %{y:.3g}<extra></extra>"))  # fmt: skip
    row = result.markets.iloc[0]
    name, spec, sign = ("ratio", ".2f", "/") if result.log else ("shift", ".3g", "-")
    effect = (f"developing {sign} developed = {row[name]:{spec}} ({result.level:.0%} interval "
              f"{row[f'{name}_low']:{spec}}-{row[f'{name}_high']:{spec}}")  # fmt: skip
    if result.propagated:  # the interval carries the measurement; the rest are regions only
        effect += (
            f" with each region's excess, window and user base; from the regions alone "
            f"{row[f'{name}_low_sampling']:{spec}}-{row[f'{name}_high_sampling']:{spec}}"
        )
    if result.log:
        fig.update_yaxes(type="log")
    fig.add_annotation(text=f"{effect})<br>regions alone: permutation p = "
                       f"{row['permutation_p']:.2g}; Cliff's delta = {row['cliffs_delta']:+.2f}",
                       xref="paper", yref="paper", x=0, y=1.01, yanchor="bottom",
                       showarrow=False, xanchor="left", align="left")  # fmt: skip
    fig.update_layout(title=f"{_label(result.metric).capitalize()} by market", showlegend=False,
                      yaxis_title=_label(result.metric), height=540, margin={"t": 135},
                      **_LAYOUT)  # fmt: skip
    return fig


def reliance_vs_income(result: MarketComparison, countries: pd.DataFrame) -> go.Figure:
    """Each region's metric against GNI per capita (log axis), with the regression line at
    the median penetration.

    Examples
    --------
    >>> from analysis import compare_markets, load_countries
    >>> table = pd.DataFrame({"region": ["BRA", "IND", "NGA", "DEU", "USA", "FRA"],
    ...                       "reliance_index": [3.0, 2.5, 2.8, 1.4, 1.5, 1.2]})
    >>> result = compare_markets(table, n_boot=50, n_perm=50)
    >>> len(reliance_vs_income(result, load_countries()).data)
    3
    """
    gni = countries.set_index("iso3")["gni_per_capita_usd"].astype("Float64")
    values = result.by_region.assign(gni=result.by_region["region"].map(gni).astype(float))
    fig = go.Figure()
    for market, colour in MARKET_COLOURS.items():
        part = values[values["market"] == market]
        fig.add_trace(go.Scatter(x=part["gni"], y=part["value"], mode="markers", name=market,
                                 text=part["region"], marker={"color": colour, "size": 8},
                                 hovertemplate="%{text}: GNI per capita US$ %{x:,.0f}, "
                                 "%{y:.3g}<extra></extra>"))  # fmt: skip
    coef = result.regression["coef"]
    known = values.dropna(subset=["gni"])
    if coef.notna().all() and len(known):
        x = np.geomspace(known["gni"].min(), known["gni"].max(), 50)
        penetration = result.by_region["penetration"].astype(float).median()
        line = coef["const"] + coef["log_gni_per_capita"] * np.log(x)
        line = line + coef["log_penetration"] * np.log(penetration)
        if result.metric in PER_USER_METRICS:  # the fit is per internet user: back per user
            line = line - np.log(penetration) if result.log else line / penetration
        fig.add_trace(go.Scatter(x=x, y=np.exp(line) if result.log else line, mode="lines",
                                 name=f"OLS fit (n = {result.regression_n})",
                                 line={"color": OKABE_ITO[7], "dash": "dot"}))  # fmt: skip
    fig.update_xaxes(type="log", title="GNI per capita, US$ (Atlas method, log scale)")
    if result.log:
        fig.update_yaxes(type="log")
    fig.update_layout(title=f"{_label(result.metric).capitalize()} against national income",
                      yaxis_title=_label(result.metric), height=520, **_LAYOUT)  # fmt: skip
    return fig


def rival_substitution(impact: pd.DataFrame, *, top: int = 25) -> go.Figure:
    """Rival sign-ups above normal per region (90% intervals), regions with the largest
    uplift, coloured by market.

    Examples
    --------
    >>> table = pd.DataFrame({"region": ["BRA", "DEU"], "name": ["Brazil", "Germany"],
    ...     "market": ["developing", "developed"], "rival_uplift": [14.0, 9.0],
    ...     "rival_uplift_low": [13.0, 8.0], "rival_uplift_high": [15.0, 10.0],
    ...     "excess_reports": 1.0, "awake_share": 0.5, "users": 1e8,
    ...     "duration": pd.Timedelta("2h")})
    >>> [t.name for t in rival_substitution(table).data]
    ['developing', 'developed']
    """
    fig = impact_dots(impact, "rival_uplift", top=top)
    fig.update_layout(title="Switching to the rival: sign-ups above normal after the outage "
                      "started (90% intervals)")  # fmt: skip
    fig.update_xaxes(title="rival sign-ups relative to normal (0 = as usual, 10 = 11 times)")
    return fig
