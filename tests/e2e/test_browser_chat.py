"""Open WebUI's own page in headless Chromium (Debian's chromium + chromium-driver, driven by
selenium): sign in, pick "Auto" in the model menu, ask a Python question, and see the router's
status line naming the coder alias above the answer that the coder model gave.

The screenshot goes to build/screenshots/ (not tracked). To refresh the one in the docs run
with OWUI_ROUTER_UPDATE_SCREENSHOT=1: it is copied to docs/screenshot-auto-router.png.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from support import procs

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = os.environ.get("OWUI_ROUTER_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("OWUI_ROUTER_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,800",
]
SHOT_DIR = procs.REPO_ROOT / "build" / "screenshots"
DOCS_SHOT = procs.REPO_ROOT / "docs" / "screenshot-auto-router.png"
QUESTION = "How do I fix this Python error? TypeError: unsupported operand type(s) for +: 'int' and 'str' in def total(items)"


@pytest.fixture
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # pragma: no cover - a clear failure, never a skip
        pytest.fail("selenium is missing: pip install -e .[test]")
    for exe, pkg in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(exe).exists():
            pytest.fail(f"{exe} is missing: run scripts/setup-test-env.sh debian (Debian package {pkg})")
    profile = tempfile.mkdtemp(prefix="owui-router-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_pick_auto_in_the_browser_and_see_the_coder_status_line(installed, browser, request):
    from selenium.common.exceptions import ElementClickInterceptedException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    s = installed
    d = browser
    # A real Open WebUI generates a title, tags and follow-up suggestions after each answer; the
    # test server has them off (to count requests exactly elsewhere): switch them on here.
    tasks = s.owui.api("GET", "/api/v1/tasks/config", token=s.admin.token)
    s.owui.api("POST", "/api/v1/tasks/config/update", dict(
        tasks, ENABLE_TITLE_GENERATION=True, ENABLE_TAGS_GENERATION=True, ENABLE_FOLLOW_UP_GENERATION=True,
    ), token=s.admin.token)
    request.addfinalizer(lambda: s.owui.api("POST", "/api/v1/tasks/config/update", tasks, token=s.admin.token))
    wait = WebDriverWait(d, 90)
    SHOT_DIR.mkdir(parents=True, exist_ok=True)
    shot = SHOT_DIR / "auto-router.png"
    try:
        # sign in with the admin's email and password on Open WebUI's own page
        d.get(s.owui.url + "/auth")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "input[type=email]"))).send_keys(s.admin.email)
        d.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(s.admin.password)
        d.find_element(By.XPATH, "//button[normalize-space()='Sign in']").click()
        wait.until(EC.presence_of_element_located((By.ID, "chat-input")))

        def click(locator, timeout=60):
            """Click, closing the release-notes dialog a first sign-in shows whenever it is in the way."""
            deadline = time.monotonic() + timeout
            while True:
                for b in d.find_elements(By.XPATH, "//button[normalize-space()=\"Okay, Let's Go!\"]"):
                    if b.is_displayed():
                        b.click()
                try:
                    WebDriverWait(d, 5).until(EC.element_to_be_clickable(locator)).click()
                    return
                except (ElementClickInterceptedException, TimeoutException):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)

        # pick "Auto" in the model menu
        time.sleep(1.0)
        click((By.ID, "model-selector-model-button"))
        click((By.CSS_SELECTOR, "button[aria-label='Select Auto model']"))
        wait.until(lambda d: d.find_element(By.ID, "model-selector-model-button").text.strip() == "Auto")

        # ask a Python question
        before = s.counts()
        box = d.find_element(By.ID, "chat-input")
        box.click()
        box.send_keys(QUESTION)
        wait.until(lambda d: "TypeError" in d.find_element(By.ID, "chat-input").text)
        box.send_keys(Keys.ENTER)

        # the answer comes from the coder model, and the router's status line names gpt-code
        wait.until(lambda d: "deepseek-coder]" in d.find_element(By.TAG_NAME, "body").text)
        status = wait.until(lambda d: [
            e for e in d.find_elements(By.XPATH, "//*[starts-with(normalize-space(text()), 'gpt-code:')]")
            if e.is_displayed()
        ])
        status_text = status[0].text.strip()
        time.sleep(1.0)  # let the page settle for the picture
        d.save_screenshot(str(shot))
        # wait for the background tasks (title, tags, follow-ups) to finish: counters stable for 3 s
        last, stable_since, deadline = None, time.monotonic(), time.monotonic() + 45
        while time.monotonic() < deadline:
            now = s.counts()
            if now != last:
                last, stable_since = now, time.monotonic()
            elif time.monotonic() - stable_since >= 3:
                break
            time.sleep(0.5)
        delta = s.counts() - before
        by_model = {m: sum(n for (_, mm), n in delta.items() if mm == m) for (_, m) in delta}
        # the answer: exactly one request to the coder; the background tasks run on Auto's base
        # model (gpt-chat -> llama3), not through the router
        assert by_model.get("deepseek-coder") == 1, delta
        assert set(by_model) <= {"deepseek-coder", "llama3"}, delta
        assert status_text.startswith("gpt-code: ") and len(status_text) > len("gpt-code: "), status_text
        assert "/c/" in d.current_url  # a saved chat, as a user would have it
        if os.environ.get("OWUI_ROUTER_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(shot, DOCS_SHOT)
    except Exception:
        d.save_screenshot(str(SHOT_DIR / "auto-router-failure.png"))
        raise
