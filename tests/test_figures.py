"""Every figure is written as offline HTML and as a PNG, with an index."""

from __future__ import annotations

import re

import pytest

from analysis.figures import build_all, figure_specs
from analysis.io import load_events
from analysis.plots import events_timeline


def test_events_timeline_has_every_event():
    events = load_events()
    fig = events_timeline(events)
    assert sum(len(trace.x) for trace in fig.data) == len(events)
    assert {trace.name for trace in fig.data} == set(events["service"])
    assert "UTC" in fig.layout.xaxis.title.text


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    return out, build_all(out)


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
