"""The HTML reports in a real headless Chromium (selenium + Debian's chromium-driver):
the page renders, the histograms have bars, the thumbnails load, the console is clean."""
from __future__ import annotations

import json
import shutil

import pytest
from PIL import Image

from core.batch import runner
from core.batch.diff import diff
from core.batch.report import batch_report, diff_report
from core.batch.sources import discover
from core.batch.work import Job

from .batch_fixtures import make_sources

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (shutil.os.path.exists(CHROMIUM) and shutil.os.path.exists(DRIVER)):
        pytest.skip("chromium / chromedriver not installed (scripts/test.sh installs them "
                    "as root)")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--window-size=1280,900"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def images_state(driver) -> list[dict]:
    return driver.execute_script(
        "return Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, "
        "w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width}))")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("runs")
    src = make_sources(tmp)
    old, new = tmp / "old", tmp / "new"
    runner.run(discover(str(src)), Job("image/resize,w_100", str(old)), workers=1)
    Image.new("RGB", (60, 60), "green").save(src / "empty.png")
    runner.run(discover(str(src)), Job("image/resize,w_100/bright,20", str(new)), workers=1)
    return tmp, src, old, new


def load(out_dir):
    return [json.loads(line) for line in (out_dir / "manifest.jsonl").read_text().splitlines()]


def test_batch_report_renders_in_chromium(browser, runs):
    tmp, src, old, _ = runs
    page = tmp / "report.html"
    page.write_text(batch_report(load(old), old, process="image/resize,w_100",
                                 sources=str(src)), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.title == "Batch report"
    summary = browser.find_element("id", "summary")
    assert "Failed" in summary.text and summary.size["height"] > 50
    failures = browser.find_element("id", "failures").text
    assert "BadRequest 2" in failures and "ImageTooLarge 1" in failures
    # Both histograms are drawn with visible bars.
    for cls in ("bytes", "savings"):
        svg = browser.find_element("css selector", f"svg.histogram.{cls}")
        assert svg.size["width"] >= 400 and svg.size["height"] >= 150
        bars = svg.find_elements("css selector", "rect.bar")
        heights = [float(b.get_attribute("height")) for b in bars]
        assert sum(1 for h in heights if h > 0) >= 1
    # Contact sheet: failures first, then the least saved; every thumbnail decoded.
    cards = browser.find_elements("css selector", "#sheet .card")
    assert [c.get_attribute("data-source") for c in cards][:3] == [
        "corrupt.jpg", "empty.png", "huge.png"]
    assert all("fail" in c.get_attribute("class") for c in cards[:3])
    imgs = images_state(browser)
    # The three outputs; empty.png was replaced after the run, so its card shows the
    # error box, not today's bytes (the report checks the recorded sha256).
    assert len(imgs) == 3
    assert all(i["complete"] and i["w"] > 0 and i["shown"] > 0 for i in imgs), imgs
    assert console_errors(browser) == []


def test_diff_report_shows_before_and_after(browser, runs):
    tmp, _, old, new = runs
    page = tmp / "diff.html"
    page.write_text(diff_report(diff(old, new)), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.title == "Batch diff"
    assert "empty.png" in browser.find_element("id", "fixed").text
    rows = browser.find_elements("css selector", "#changed tr[data-source]")
    assert sorted(r.get_attribute("data-source") for r in rows) == [
        "anim.gif", "good.jpg", "nested/alpha.png"]
    for row in rows:
        befores = row.find_elements("css selector", "figure.before img")
        afters = row.find_elements("css selector", "figure.after img")
        assert len(befores) == len(afters) == 1
    imgs = images_state(browser)
    assert len(imgs) == 6 and all(i["complete"] and i["w"] > 0 for i in imgs), imgs
    assert console_errors(browser) == []
