"""Helpers for the browser tests of the console: a headless Chromium driven by Selenium, a `wharf serve` set up for
the console (channel, price, admin) with extra settings, and an in-memory SMTP sink.

Chromium and its driver come from Debian (`apt-get install chromium chromium-driver`, done by `.ci/run`); their
paths can be overridden with $WHARF_E2E_CHROMIUM and $WHARF_E2E_CHROMEDRIVER. Selenium is never allowed to fetch a
browser or driver of its own.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
import requests
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from conftest import UPSTREAM_KEY, WHARF_BIN, Wharf, _child_env, _start_serve, _stop, free_port
from stub_upstream import StubServer

CHROMIUM = os.environ.get("WHARF_E2E_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("WHARF_E2E_CHROMEDRIVER", "/usr/bin/chromedriver")
WINDOW = (1280, 900)
PAGE_TIMEOUT_S = 30
WAIT_S = 15.0

ADMIN_EMAIL = "ops@example.com"
ADMIN_PASSWORD = "admin password 1234"
CHANNEL_NAME = "stub-openai"
MODEL = "gpt-4o-mini"


# ---- the browser -------------------------------------------------------------------------------------


def require_browser() -> None:
    """Skips (fails under CI) when Chromium or chromedriver is missing."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if missing:
        message = f"{', '.join(missing)} missing: apt-get install chromium chromium-driver (bash .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def new_browser(language: str = "en-US") -> WebDriver:
    """A headless Chromium with a 1280x900 window whose Accept-Language is `language`."""
    require_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-sync",
        "--disable-component-update",
        "--password-store=basic",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--lang={language}",
        "--force-device-scale-factor=1",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    service = Service(executable_path=CHROMEDRIVER, log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(PAGE_TIMEOUT_S)
    driver.set_script_timeout(PAGE_TIMEOUT_S)
    fit_window(driver)
    return driver


def fit_window(driver: WebDriver) -> None:
    """Sizes the window so that the page itself is 1280x900: --window-size counts the (invisible) browser frame, and
    headless Chromium sometimes applies a resize a moment late, so measure and adjust a few times."""
    for _ in range(5):
        inner_w, inner_h = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        if (inner_w, inner_h) == WINDOW:
            return
        outer = driver.get_window_size()
        driver.set_window_size(outer["width"] + WINDOW[0] - inner_w, outer["height"] + WINDOW[1] - inner_h)
        time.sleep(0.2)


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any], what: str, timeout: float = WAIT_S) -> Any:
    message = f"timed out waiting for {what} on {driver.current_url}"
    return WebDriverWait(driver, timeout).until(condition, message=message)


def path_of(driver: WebDriver) -> str:
    return re.sub(r"^https?://[^/]+", "", driver.current_url)


def html_lang(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "html").get_attribute("lang") or ""


def heading(driver: WebDriver) -> str:
    return driver.find_element(By.TAG_NAME, "h1").text.strip()


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    """Types into the inputs named by the keys (within the page's main form)."""
    for name, value in values.items():
        element = driver.find_element(By.CSS_SELECTOR, f"main [name='{name}']")
        element.clear()
        element.send_keys(value)


def set_raw(driver: WebDriver, values: dict[str, str]) -> None:
    """Sets input values by script, past the browser's own checks (maxlength, pattern, required, type)."""
    for name, value in values.items():
        driver.execute_script(
            "const e = document.querySelector(\"main [name='\" + arguments[0] + \"']\");"
            "for (const a of ['maxlength', 'minlength', 'pattern', 'required']) e.removeAttribute(a);"
            "if (e.type === 'email') e.type = 'text';"
            "e.value = arguments[1];",
            name,
            value,
        )


def submit(driver: WebDriver, button_id: str | None = None, *, bypass_validation: bool = False) -> None:
    """Clicks the form's submit button and waits for the next page to load."""
    if button_id:
        button = driver.find_element(By.ID, button_id)
    else:
        button = driver.find_element(By.CSS_SELECTOR, "main form[method='post'] button[type='submit']")
    if bypass_validation:
        driver.execute_script("arguments[0].form.noValidate = true;", button)
    old_html = driver.find_element(By.TAG_NAME, "html")
    button.click()
    wait_for(driver, lambda d: _is_stale(old_html), "the form's answer page")
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete", "page load")


def _is_stale(element: Any) -> bool:
    try:
        element.tag_name
        return False
    except Exception:
        return True


def choose_cookies(driver: WebDriver, origin: str, choice: str = "essential") -> None:
    """Answers the cookie banner (so screenshots and later pages go without it)."""
    driver.get(origin + "/")
    driver.find_element(By.CSS_SELECTOR, f"aside.consent button[value='{choice}']").click()
    wait_for(driver, lambda d: "/cookies" in d.current_url, "the cookie choice to be saved")


def alert_text(driver: WebDriver) -> str | None:
    try:
        alert = driver.switch_to.alert
        text = alert.text
        alert.dismiss()
        return text
    except NoAlertPresentException:
        return None


def http_session(driver: WebDriver) -> requests.Session:
    """A `requests` session carrying the browser's cookies (HttpOnly ones included)."""
    session = requests.Session()
    for cookie in driver.get_cookies():
        session.cookies.set(cookie["name"], cookie["value"], domain=cookie.get("domain", "127.0.0.1"), path="/")
    return session


def table_rows(driver: WebDriver, table_id: str) -> list[list[str]]:
    rows = driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
    return [[cell.text.strip() for cell in row.find_elements(By.TAG_NAME, "td")] for row in rows]


# ---- the console's user journey ----------------------------------------------------------------------


def register(
    driver: WebDriver, origin: str, *, email_address: str, username: str, password: str, lang: str = ""
) -> None:
    suffix = f"?lang={lang}" if lang else ""
    driver.get(f"{origin}/register{suffix}")
    fill(driver, {"email": email_address, "username": username, "password": password})
    for box in ("age", "policy"):
        checkbox = driver.find_element(By.CSS_SELECTOR, f"main input[name='{box}']")
        if not checkbox.is_selected():
            checkbox.click()
    submit(driver, "register-submit")


def sign_in(driver: WebDriver, origin: str, email_address: str, password: str) -> None:
    driver.get(f"{origin}/login")
    fill(driver, {"email": email_address, "password": password})
    submit(driver, "login-submit")
    assert path_of(driver).startswith("/console"), (
        f"sign-in did not reach the console but {path_of(driver)}: {page_error(driver)}"
    )


def sign_out(driver: WebDriver) -> None:
    submit(driver, "logout")


def page_error(driver: WebDriver) -> str:
    errors = driver.find_elements(By.CSS_SELECTOR, "main .error, main h1 + p")
    return " / ".join(e.text for e in errors) or driver.title


def create_key(driver: WebDriver, origin: str, name: str) -> str:
    driver.get(f"{origin}/console/keys")
    fill(driver, {"name": name})
    submit(driver, "create-key")
    secrets = driver.find_elements(By.ID, "new-key-secret")
    assert secrets, f"no #new-key-secret after creating a key: {page_error(driver)}"
    return secrets[0].text.strip()


def wait_for_usage_row(driver: WebDriver, origin: str, model: str, timeout: float = 20.0) -> list[str]:
    """Reloads the request log until a row for `model` shows (usage is written in batches)."""
    deadline = time.monotonic() + timeout
    while True:
        driver.get(f"{origin}/console/usage")
        for row in table_rows(driver, "usage-log"):
            if len(row) >= 9 and row[1] == model:
                return row
        if time.monotonic() > deadline:
            rows = table_rows(driver, "usage-log")
            raise AssertionError(f"no request-log row for {model} within {timeout:.0f}s: {rows}")
        time.sleep(0.5)


def requests_chart_bars(driver: WebDriver) -> dict[str, int]:
    """The requests-per-day chart's bars as {"MM-DD": count} from their <title> elements."""
    titles = driver.execute_script(
        "return Array.from(document.querySelectorAll('#chart-requests rect.bar > title')).map(t => t.textContent);"
    )
    bars: dict[str, int] = {}
    for title in titles:
        match = re.fullmatch(r"(\d\d-\d\d): (\d+)", title.strip())
        assert match, f"unexpected bar title {title!r}"
        bars[match.group(1)] = int(match.group(2))
    return bars


# ---- a server for the console ------------------------------------------------------------------------


def start_console_server(root: Path, stub: StubServer, env: dict[str, str] | None = None, *, port: int = 0) -> Wharf:
    """Migrates a fresh data dir, adds a channel to the stub, a price and an admin, and starts `wharf serve`
    with the extra `WHARF_*` settings in `env`. Stop it with `stop_console_server`."""
    data_dir = root / "data"
    data_dir.mkdir(parents=True)
    instance = Wharf(
        bin=WHARF_BIN, data_dir=data_dir, log_path=root / "server.log", env=_child_env(data_dir), stub=stub
    )
    instance.user_email = ADMIN_EMAIL
    instance.cli("migrate")
    instance.cli("admin", "create", "--email", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    instance.cli(
        "channel", "add",
        "--name", CHANNEL_NAME,
        "--provider", "openai-compatible",
        "--base-url", stub.base_url,
        "--api-key", UPSTREAM_KEY,
        "--models", MODEL,
    )  # fmt: skip
    instance.cli("price", "set", "--model", MODEL, "--input", "1.00", "--output", "2.00")
    instance.port = port or free_port()
    _start_serve(instance, cwd=root, env=env)
    return instance


def stop_console_server(instance: Wharf) -> None:
    if instance.process is None:
        return
    code = _stop(instance.process)
    log = instance.server_log()
    assert code is not None, "`wharf serve` did not stop within 20 s of SIGTERM and was killed"
    assert '"level":"critical"' not in log, log[-4000:]


def user_exists(instance: Wharf, email_address: str) -> bool:
    return instance.cli("credit", "balance", "--user", email_address, check=False).returncode == 0


# ---- mail --------------------------------------------------------------------------------------------


@dataclass
class MailSink:
    """An SMTP server on 127.0.0.1 that keeps every message it receives, parsed, in memory."""

    port: int = 0
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Any = None

    def start(self) -> "MailSink":
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                raw = envelope.original_content or envelope.content
                message = email.message_from_bytes(raw, policy=email.policy.default)
                with sink._lock:
                    sink.messages.append(message)  # type: ignore[arg-type]
                return "250 OK"

        self.port = free_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, recipient: str, timeout: float = 60.0) -> email.message.EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for message in self.messages:
                    if recipient.lower() in str(message.get("To", "")).lower():
                        return message
            time.sleep(0.25)
        raise AssertionError(f"no mail to {recipient} within {timeout:.0f}s (got {len(self.messages)} message(s))")


def mail_text(message: email.message.EmailMessage) -> str:
    """The decoded text/plain body (base64, quoted-printable or 8bit)."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"no text/plain part in mail {message.get('Subject')!r}"
    return part.get_content()
