"""Shared test configuration: hypothesis profiles.

The default profile keeps CI fast. ``AUTOGRAD_CORE_PROFILE=long`` runs 10^4 examples per property for deeper runs.
"""

import os
import shutil

import pytest
from hypothesis import HealthCheck, settings

from autograd_core import OPS

settings.register_profile(
    "default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("AUTOGRAD_CORE_PROFILE", "default"))


@pytest.fixture(autouse=True)
def restore_op_table():
    """Custom ops a test (or a documentation block) defines are removed afterwards, in place, so no test leaks
    entries into tests that iterate the table."""
    saved = dict(OPS)
    yield
    OPS.clear()
    OPS.update(saved)


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium through selenium, with the browser console log kept; skipped without the browser extra."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the browser extra)")
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.skip("Chromium or chromedriver is not installed (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: Selenium Manager never runs, so nothing is downloaded
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()
