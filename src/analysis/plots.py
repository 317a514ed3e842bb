"""Figures: one function per figure, data in, :class:`plotly.graph_objects.Figure` out, no I/O.

Colours come from the Okabe-Ito palette, which stays distinguishable with the common forms of
colour blindness. Times are labelled in UTC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["OKABE_ITO", "events_timeline"]

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
    hours = events["duration_min"].astype("Float64") / 60
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
