"""Every exported figure draws in a real browser (Debian's chromium) with the network blocked."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(executed, tmp_path_factory):
    """JupyterLab serving the executed notebooks on localhost (no token): its base URL."""
    port = _free_port()
    home = tmp_path_factory.mktemp("jupyter-home")
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home),
    }
    options = {
        "port": port,
        "ServerApp.ip": "127.0.0.1",
        "ServerApp.allow_root": True,
        "IdentityProvider.token": "",
        "ServerApp.password": "",
        "ServerApp.root_dir": executed,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser",
         *(f"--{k}={v}" for k, v in options.items())],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("jupyter lab did not start")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: stop it rather than fail
            server.kill()
            server.wait()


@pytest.mark.slow
def test_jupyterlab_draws_a_notebook_map_offline(lab, browser):
    """An executed notebook opened in JupyterLab shows its figures, the map with countries,
    with every request outside localhost blocked."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside, errors = [], []

    def route(route):
        if route.request.url.startswith((lab, "data:")):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{lab}/lab/tree/03_regional_impact.ipynb")
    plot = page.locator(".jp-RenderedPlotly").first
    plot.wait_for(timeout=90_000)
    plot.scroll_into_view_if_needed()
    page.wait_for_selector(".jp-RenderedPlotly .choroplethlocation", timeout=60_000)
    assert page.locator(".jp-RenderedPlotly .choroplethlocation").count() >= 8
    assert outside == [], f"requests outside localhost: {outside}"
    assert not [e for e in errors if "topojson" in e], errors
    page.close()
