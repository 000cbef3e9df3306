"""The data lifecycle from the outside, against the real `wharf` binary: retention on an injected date keeps money and
totals, the export of one person (CLI and a real download in Chromium), erasure (CLI and the console's deletion form)
with a grep of the whole data directory (WAL and SHM included), a backup that restores without the erased person,
region and zero-retention keys that fail closed with the official openai SDK, and a support ticket answered in its
thread. Screenshots of the privacy settings and a support ticket go to docs/screenshots/ when
WHARF_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import time
from pathlib import Path
from typing import Iterator

import openai
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from browser_support import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    MODEL,
    choose_cookies,
    fit_window,
    new_browser,
    path_of,
    register,
    sign_in,
    sign_out,
    start_console_server,
    stop_console_server,
    submit,
    wait_for,
)
from conftest import REPO_ROOT, UPSTREAM_KEY, Wharf
from stub_upstream import StubServer

PASSWORD = "a long lifecycle password"


@pytest.fixture(scope="module")
def site(stub: StubServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wharf]:
    server = start_console_server(
        tmp_path_factory.mktemp("lifecycle"), stub, {"WHARF_REQUIRE_EMAIL_VERIFICATION": "false"}
    )
    try:
        yield server
    finally:
        stop_console_server(server)


def type_into(driver: WebDriver, values: dict[str, str]) -> None:
    """Types into fields found by id (the settings page has several `password` fields)."""
    for element_id, value in values.items():
        field = driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)


def files_holding(directory: Path, needle: str) -> list[str]:
    """Every file under `directory` whose bytes contain `needle` (any case)."""
    lowered = needle.lower().encode()
    found = []
    for path in directory.rglob("*"):
        if path.is_file() and lowered in path.read_bytes().lower():
            found.append(path.name)
    return found


def export_of(site: Wharf, email: str) -> dict:
    return json.loads(site.cli("export", "--user", email).stdout)


def eventually(condition, what: str, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def new_user_with_key(site: Wharf, email: str, *key_flags: str) -> str:
    site.cli("user", "create", "--email", email, "--password", PASSWORD)
    site.cli("credit", "grant", "--user", email, "--amount", "5")
    secret = site.cli("key", "create", "--user", email, "--name", "lifecycle", *key_flags).stdout.strip()
    client = openai.OpenAI(base_url=site.base_url, api_key=secret, max_retries=0, timeout=30.0)
    eventually(lambda: _works(client), "the new key to be loaded")
    return secret


def _works(client: openai.OpenAI) -> bool:
    try:
        client.models.list()
        return True
    except openai.AuthenticationError:
        return False


# ---- retention, export and erasure through the CLI ------------------------------------------------------


def test_retention_export_and_erasure_through_the_cli(site: Wharf, tmp_path: Path) -> None:
    email = "Lifecycle.Cli@Example.com"
    secret = new_user_with_key(site, email)
    client = openai.OpenAI(base_url=site.base_url, api_key=secret, max_retries=0, timeout=30.0)
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hello"}])
    def with_usage() -> dict | None:
        exported = export_of(site, email)
        return exported if "usage_records" in exported["tables"] else None

    document = eventually(with_usage, "the usage record")
    assert document["format"] == "wharf-export/1"
    assert document["tables"]["users"]["rows"][0]["email"] == email
    keys = document["tables"]["api_keys"]
    assert "key_hash" not in keys["rows"][0] and "key_hash" in keys["withheld"]
    [record] = document["tables"]["usage_records"]["rows"]
    assert record["cost"] > 0
    balance = site.cli("credit", "balance", "--user", email).stdout

    # Ninety-one days later the record is past retention: it goes, into a daily rollup; money and totals stay.
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=91)).strftime("%Y-%m-%dT%H:%M:%SZ")
    dry = site.cli("retention", "run", "--as-of", later, "--dry-run").stdout
    assert "usage_records (usage): " in dry and "due" in dry
    assert "usage_records" in export_of(site, email)["tables"], "a dry run deletes nothing"
    run = site.cli("retention", "run", "--as-of", later).stdout
    deleted = next(line for line in run.splitlines() if line.startswith("usage_records"))
    assert int(deleted.split(": ")[1].split()[0]) >= 1, run
    assert site.cli("ledger", "verify").stdout.strip() == "ledger ok"
    assert site.cli("credit", "balance", "--user", email).stdout == balance
    after = export_of(site, email)
    assert "usage_records" not in after["tables"]
    [rollup] = after["tables"]["usage_daily"]["rows"]
    assert rollup["requests"] == 1 and rollup["cost"] == record["cost"]
    assert "client_ip" not in rollup, "rollups hold no address"

    # Erasure: the email leaves every file of the data directory, the money stays, the email may sign up again.
    site.cli("user", "erase", "--user", email)
    assert files_holding(site.data_dir, email) == []
    assert site.cli("ledger", "verify").stdout.strip() == "ledger ok"
    assert site.cli("export", "--user", email, check=False).returncode == 1
    eventually(lambda: not _works(client), "the erased account's key to be refused")
    site.cli("user", "create", "--email", email, "--password", PASSWORD)


def test_a_backup_restored_after_an_erasure_erases_again(site: Wharf, tmp_path: Path) -> None:
    email = "restore.me@example.com"
    site.cli("user", "create", "--email", email, "--password", PASSWORD)
    backup = tmp_path / "before-erasure.backup"
    site.cli("backup", "--to", str(backup))
    assert email.encode() not in backup.read_bytes()
    site.cli("user", "erase", "--user", email)

    target = tmp_path / "restored"
    target.mkdir()
    shutil.copy(site.data_dir / "master.key", target / "master.key")
    env = {k: v for k, v in site.env.items()}
    env["WHARF_DATA_DIR"] = str(target)
    restored = Wharf(bin=site.bin, data_dir=target, log_path=tmp_path / "r.log", env=env, stub=site.stub)
    out = restored.cli("restore", "--from", str(backup), "--erasures", str(site.data_dir / "erased-accounts")).stdout
    assert "ledger ok" in out and "erasures re-applied: 1" in out, out
    assert restored.cli("export", "--user", email, check=False).returncode == 1
    assert files_holding(target, email) == []


# ---- region and zero-retention keys ------------------------------------------------------------------------


def test_a_region_or_zero_retention_key_fails_closed_and_nothing_goes_upstream(site: Wharf, stub: StubServer) -> None:
    site.cli(
        "channel", "add", "--name", "us-retaining", "--provider", "openai-compatible",
        "--base-url", stub.base_url, "--api-key", UPSTREAM_KEY, "--models", "us-model",
        "--region", "us", "--data-policy", "retains,trains",
    )  # fmt: skip
    site.cli("price", "set", "--model", "us-model", "--input", "1", "--output", "2")
    plain = openai.OpenAI(
        base_url=site.base_url, api_key=new_user_with_key(site, "plain.region@example.com"), max_retries=0
    )
    eventually(lambda: _answers(plain, "us-model"), "the new channel to be routed")
    for flags in (("--regions", "eu"), ("--zero-retention",), ("--no-training",)):
        secret = new_user_with_key(site, f"constrained{len(flags)}{flags[0][2:6]}@example.com", *flags)
        client = openai.OpenAI(base_url=site.base_url, api_key=secret, max_retries=0, timeout=30.0)
        stub.state.reset()
        with pytest.raises(openai.PermissionDeniedError) as refused:
            client.chat.completions.create(model="us-model", messages=[{"role": "user", "content": "hi"}])
        assert refused.value.code == "no_compliant_channel", refused.value
        assert stub.state.all() == [], "the stub upstream received nothing"
    assert "--regions eu" not in site.server_log()


def _answers(client: openai.OpenAI, model: str) -> bool:
    try:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        return True
    except openai.NotFoundError:
        return False


# ---- the console: support ticket, privacy settings, download, deletion ------------------------------------


def test_support_ticket_privacy_settings_download_and_deletion_in_chromium(
    site: Wharf, browser: WebDriver, screenshot_dir: Path, tmp_path: Path
) -> None:
    origin, driver, email = site.origin, browser, "rosa@example.com"
    fit_window(driver)

    def shot(name: str) -> None:
        wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete", "page load")
        path = screenshot_dir / f"{name}.png"
        assert driver.save_screenshot(str(path)), path
        assert path.stat().st_size > 5000, f"{path} looks empty"

    choose_cookies(driver, origin)
    register(driver, origin, email_address=email, username="rosa", password=PASSWORD)
    sign_in(driver, origin, email, PASSWORD)

    # A ticket, answered by staff in its thread.
    driver.get(f"{origin}/console/support")
    type_into(
        driver, {"ticket_subject": "Invoice for November", "ticket_message": "Could you send an invoice, please?"}
    )
    submit(driver, "ticket-submit")
    ticket_path = path_of(driver).split("?")[0]
    assert ticket_path.startswith("/console/support/msg_"), ticket_path
    sign_out(driver)
    sign_in(driver, origin, ADMIN_EMAIL, ADMIN_PASSWORD)
    driver.get(f"{origin}/admin/support")
    ticket_id = ticket_path.rsplit("/", 1)[1]
    driver.find_element(By.ID, f"reply-{ticket_id}").send_keys("Sent to your email address today.")
    submit(driver, f"reply-submit-{ticket_id}")
    sign_out(driver)
    sign_in(driver, origin, email, PASSWORD)
    driver.get(origin + ticket_path)
    type_into(driver, {"ticket_reply": "Received, thank you!"})
    submit(driver, "ticket-reply-submit")
    thread = driver.find_element(By.ID, "thread").text
    assert "Sent to your email address today." in thread and "Received, thank you!" in thread
    shot("support-ticket")

    # The privacy settings: export, freeze, deletion.
    driver.get(f"{origin}/console/settings")
    driver.execute_script("document.getElementById('privacy').scrollIntoView()")
    shot("privacy-settings")

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.find_element(By.ID, "export-link").click()
    exported = eventually(
        lambda: [p for p in downloads.glob("wharf-export-*.json") if p.stat().st_size > 0], "the download"
    )
    document = json.loads(exported[0].read_text())
    assert document["tables"]["users"]["rows"][0]["email"] == email
    assert document["tables"]["support_messages"]["rows"][0]["subject"] == "Invoice for November"
    assert document["tables"]["support_replies"]["rows"], "the thread is part of the export"

    # Deleting needs the password; then the email is nowhere in the data directory.
    driver.get(f"{origin}/console/settings")
    type_into(driver, {"delete_password": "not the password"})
    submit(driver, "delete-account")
    assert "/console" in path_of(driver) and site.cli("export", "--user", email, check=False).returncode == 0
    type_into(driver, {"delete_password": PASSWORD})
    submit(driver, "delete-account")
    assert path_of(driver) == "/?notice=notice_account_erased", path_of(driver)
    assert "personal data erased" in driver.find_element(By.TAG_NAME, "body").text
    assert site.cli("export", "--user", email, check=False).returncode == 1
    assert files_holding(site.data_dir, email) == []
    driver.get(f"{origin}/console")
    assert path_of(driver).startswith("/login"), "the session ended"
