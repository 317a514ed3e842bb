"""Every exported figure draws in a real browser (Debian's chromium) with the network blocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.figures import figure_specs

CHROMIUM = "/usr/bin/chromium"
MAPS = {"impact_map", "reports_animation"}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (scripts/ensure-chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.mark.parametrize("name", [spec.name for spec in figure_specs()])
def test_figure_draws_offline(built, browser, name):
    out, _ = built
    page = browser.new_page()
    outside, errors = [], []

    def route(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:  # everything outside the file is blocked, and recorded
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((out / f"{name}.html").as_uri())
    page.wait_for_selector(".main-svg", timeout=30_000)
    page.wait_for_timeout(500)
    assert page.locator(".plot-container .main-svg").count() >= 1
    if name in MAPS:
        assert page.locator(".choroplethlocation").count() >= 10, "no country drawn"
    else:
        assert page.locator(".scatterlayer .trace, .boxlayer .trace").count() >= 1
    assert outside == [], f"requests outside the file: {outside}"
    assert errors == [], f"console errors: {errors}"
    page.close()
