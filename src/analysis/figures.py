"""Writing every figure of the project: ``build_all(out_dir)``, the main job of ``make figures``.

Each figure is written as ``NAME.html`` (offline: plotly.js is written once into the same
folder as ``plotly.min.js``; no external URL is needed) and ``NAME.png`` (static export by
kaleido, which drives a Chromium installed on the machine), and ``index.html`` links them
with the function and data each came from.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import plotly.graph_objects as go
from tqdm.auto import tqdm

from analysis import plots
from analysis.io import load_events

__all__ = ["FigureSpec", "build_all", "figure_specs", "write_figure"]


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the project: how to build it and where it comes from."""

    name: str
    title: str
    function: str
    data: str
    build: Callable[[], go.Figure]


def figure_specs() -> list[FigureSpec]:
    """Every figure that :func:`build_all` writes, in order."""
    return [
        FigureSpec(
            name="events_timeline",
            title="Catalogue of real outages",
            function="analysis.plots.events_timeline",
            data="data/reference/events.csv",
            build=lambda: plots.events_timeline(load_events()),
        ),
    ]


def write_figure(fig: go.Figure, out_dir: Path, name: str, *, png: bool = True) -> list[Path]:
    """Write ``fig`` as ``NAME.html`` (offline) and ``NAME.png``; return the paths written.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
    out_dir : Path
        Folder to write into (created if missing).
    name : str
        File stem.
    png : bool
        Also write the static PNG (needs Chromium for kaleido).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / f"{name}.html"]
    fig.write_html(paths[0], include_plotlyjs="directory", full_html=True)
    if png:
        paths.append(out_dir / f"{name}.png")
        fig.write_image(paths[1], width=1100, height=fig.layout.height or 500, scale=1)
    return paths


def _index(specs: list[FigureSpec], png: bool) -> str:
    rows = []
    for spec in specs:
        image = f'<br><img src="{spec.name}.png" width="480" alt="">' if png else ""
        rows.append(
            f'<li><a href="{spec.name}.html">{html.escape(spec.title)}</a>'
            f" — <code>{spec.function}</code>, data: <code>{html.escape(spec.data)}</code>"
            f"{image}</li>"
        )
    return (
        "<!doctype html><meta charset='utf-8'><title>outage-reliance figures</title>"
        "<h1>outage-reliance figures</h1><p>Rebuilt by <code>make figures</code>. Each link "
        "opens an interactive figure that works offline.</p><ul>" + "\n".join(rows) + "</ul>\n"
    )


def build_all(out_dir: str | os.PathLike[str] = "figures", *, png: bool = True) -> list[Path]:
    """Build every figure of the project into ``out_dir``.

    Parameters
    ----------
    out_dir : str or path-like
        Output folder (created if missing).
    png : bool
        Also write static PNGs (needs Chromium).

    Returns
    -------
    list of Path
        Every file written, ``index.html`` last.

    Examples
    --------
    >>> import tempfile
    >>> paths = build_all(tempfile.mkdtemp(), png=False)
    >>> sorted(p.name for p in paths)
    ['events_timeline.html', 'index.html', 'plotly.min.js']
    """
    out = Path(out_dir)
    specs = figure_specs()
    written: list[Path] = []
    for spec in tqdm(specs, desc="figures", unit="figure"):
        written += write_figure(spec.build(), out, spec.name, png=png)
    written.append(out / "plotly.min.js")
    index = out / "index.html"
    index.write_text(_index(specs, png), encoding="utf-8")
    written.append(index)
    return written
