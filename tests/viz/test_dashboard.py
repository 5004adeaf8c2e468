"""`abm viz` in a real headless Chromium: the page loads, steps run, a plot changes.

Needs the viz extra (solara, selenium) and Debian's chromium and chromium-driver; skips
with the reason otherwise. The server listens on 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1400",
)
START_S, LOAD_S, STEP_S = 90, 60, 60  # bounds: server start, page load, steps shown


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {seconds} s")


@pytest.fixture
def server():
    pytest.importorskip("solara", reason="the viz extra is not installed (pip install .[viz])")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "abm", "viz", "baseline_2026", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"

    def up() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(up, START_S, f"abm viz serving {url}")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="the viz extra is not installed")
    if not (CHROMIUM and DRIVER):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(LOAD_S)
    try:
        yield driver
    finally:
        driver.quit()


def test_dashboard_loads_steps_and_redraws_in_chromium(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    def body() -> str:
        return browser.find_element(By.TAG_NAME, "body").text

    def plots() -> list[str]:
        return [img.get_attribute("src") for img in browser.find_elements(By.TAG_NAME, "img")]

    browser.get(server)
    wait_for(lambda: "Step: 0" in body() and len(plots()) >= 6, LOAD_S, "page with 6 plots")
    before = plots()
    step = next(b for b in browser.find_elements(By.TAG_NAME, "button") if b.text == "STEP")
    started = time.monotonic()
    for clicks in range(1, 4):
        step.click()
        shown = f"Step: {7 * clicks}"  # SolaraViz steps render_interval (7) days a click
        wait_for(lambda shown=shown: shown in body(), STEP_S, shown)
    per_step_s = (time.monotonic() - started) / 21
    wait_for(lambda: plots()[0] != before[0], STEP_S, "the hashrate plot redrawn")
    assert sum(a != b for a, b in zip(before, plots(), strict=False)) >= 4
    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    print(f"dashboard: {per_step_s * 1000:.0f} ms per step with redraws, screenshot {shot}")
