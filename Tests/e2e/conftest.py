"""Session fixtures for Wharf's end-to-end tests.

One stub OpenAI upstream (in-process thread) and one real `wharf serve` process per session, set up
entirely through the operator CLI, exactly as an operator would:

    WHARF_DATA_DIR=<tmp>/data wharf migrate
    ... user create / credit grant / key create / channel add / price set ...
    WHARF_DATA_DIR=<tmp>/data wharf serve --host 127.0.0.1 --port <free>

The binary is taken from $WHARF_BIN (default: .build/debug/wharf under the repo root).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

import openai
import pytest

from stub_upstream import StubServer, start_stub

REPO_ROOT = Path(__file__).resolve().parents[2]
WHARF_BIN = os.environ.get("WHARF_BIN") or str(REPO_ROOT / ".build" / "debug" / "wharf")

USER_EMAIL = "alice@example.com"
USER_PASSWORD = "correct horse battery"
STARTING_CREDIT = "5"
UPSTREAM_KEY = "upstream-secret-123"
# A distinctive prompt: it must never show up in the server's log or data directory.
PROMPT = "purple-elephant-4711"
CHANNEL_MODELS = ["gpt-4o-mini", "text-embedding-3-small", "fail-500", "fail-429"]

READY_TIMEOUT_S = 60.0
CLI_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, max_chars: int = 6000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as error:
        return f"<could not read {path}: {error}>"
    return text[-max_chars:]


@dataclass
class Wharf:
    """A running Wharf server and the means to drive its CLI."""

    bin: str
    data_dir: Path
    log_path: Path
    env: dict[str, str]
    stub: StubServer
    port: int = 0
    api_key: str = ""
    prompt: str = PROMPT
    upstream_key: str = UPSTREAM_KEY
    user_email: str = USER_EMAIL
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `wharf ARGS...` against this instance's data directory."""
        result = subprocess.run(
            [self.bin, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            cwd=self.data_dir.parent,
        )
        if check and result.returncode != 0:
            shown = " ".join("***" if a == USER_PASSWORD else a for a in args)
            raise AssertionError(
                f"`wharf {shown}` exited {result.returncode}\n"
                f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
            )
        return result

    def balance(self) -> str:
        return self.cli("credit", "balance", "--user", self.user_email).stdout

    def client(self, api_key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key if api_key is not None else self.api_key,
            max_retries=0,
            timeout=30.0,
        )

    def server_log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _child_env(data_dir: Path) -> dict[str, str]:
    # Only our WHARF_DATA_DIR reaches the binary: a stray WHARF_DATABASE_URL, WHARF_PORT, ... in the
    # caller's environment must not redirect these tests to another server or database.
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    env["WHARF_DATA_DIR"] = str(data_dir)
    return env


def _wait_ready(wharf: Wharf) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    last_error = "no attempt"
    assert wharf.process is not None
    while time.monotonic() < deadline:
        code = wharf.process.poll()
        if code is not None:
            raise AssertionError(
                f"`wharf serve` exited with {code} before it was ready\n--- log ---\n{tail(wharf.log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{wharf.origin}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
                last_error = f"status {response.status}"
        except urllib.error.HTTPError as error:
            last_error = f"status {error.code}"
        except (urllib.error.URLError, OSError) as error:
            last_error = str(error)
        time.sleep(0.2)
    raise AssertionError(
        f"GET {wharf.origin}/readyz did not return 200 within {READY_TIMEOUT_S:.0f}s "
        f"(last: {last_error})\n--- log ---\n{tail(wharf.log_path)}"
    )


def _start_serve(instance: Wharf, cwd: Path, env: dict[str, str] | None = None) -> None:
    """Starts `wharf serve` on `instance.port` (loopback) with its environment plus `env`, logging to its log
    file, and waits until it answers; stops it again if it never does."""
    serve_env = dict(instance.env)
    serve_env.update(env or {})
    with open(instance.log_path, "wb") as log:
        instance.process = subprocess.Popen(
            [WHARF_BIN, "serve", "--port", str(instance.port), "--host", "127.0.0.1"],
            env=serve_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
        )
    try:
        _wait_ready(instance)
    except BaseException:
        _stop(instance.process)
        raise


def _stop(process: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM the server by its pid, wait, and SIGKILL it only if it does not stop in time."""
    if process.poll() is not None:
        return process.returncode
    os.kill(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)
        return None


@pytest.fixture(scope="session")
def stub() -> Iterator[StubServer]:
    server = start_stub(api_key=UPSTREAM_KEY)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def wharf(stub: StubServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wharf]:
    if not (os.path.isfile(WHARF_BIN) and os.access(WHARF_BIN, os.X_OK)):
        pytest.fail(f"wharf binary not found or not executable at {WHARF_BIN} (set WHARF_BIN)", pytrace=False)

    root = tmp_path_factory.mktemp("wharf-e2e")
    data_dir = root / "data"
    data_dir.mkdir()
    instance = Wharf(
        bin=WHARF_BIN,
        data_dir=data_dir,
        log_path=root / "server.log",
        env=_child_env(data_dir),
        stub=stub,
    )

    instance.cli("migrate")
    assert any(data_dir.iterdir()), "`wharf migrate` wrote nothing into WHARF_DATA_DIR (is the variable honoured?)"
    instance.cli("user", "create", "--email", USER_EMAIL, "--password", USER_PASSWORD)
    instance.cli("credit", "grant", "--user", USER_EMAIL, "--amount", STARTING_CREDIT)
    key_out = instance.cli("key", "create", "--user", USER_EMAIL, "--name", "e2e").stdout
    assert re.fullmatch(r"sk-[A-Za-z0-9_\-]+\n?", key_out), (
        f"`wharf key create` must print only the secret (sk-...), got {len(key_out.splitlines())} line(s) "
        f"starting with {key_out[:3]!r}"
    )
    instance.api_key = key_out.strip()
    instance.cli(
        "channel", "add",
        "--name", "stub",
        "--provider", "openai-compatible",
        "--base-url", stub.base_url,
        "--api-key", UPSTREAM_KEY,
        "--models", ",".join(CHANNEL_MODELS),
    )  # fmt: skip
    instance.cli("price", "set", "--model", "gpt-4o-mini", "--input", "1.00", "--output", "2.00")
    instance.cli("price", "set", "--model", "text-embedding-3-small", "--input", "0.02", "--output", "0")
    # Wharf routes only priced models: the fault models need a price to reach the stub at all.
    for model in ("fail-500", "fail-429"):
        instance.cli("price", "set", "--model", model, "--input", "1.00", "--output", "2.00")

    yield from serve_and_check_log(instance, cwd=root)


def serve_and_check_log(instance: Wharf, cwd: Path) -> Iterator[Wharf]:
    """Runs `wharf serve` for a module's tests, then stops it and fails if its log holds the prompt or a secret."""
    instance.port = free_port()
    _start_serve(instance, cwd=cwd)
    try:
        yield instance
    finally:
        code = _stop(instance.process)
        # Anything buffered is on disk now: the whole log must be free of content and secrets.
        log_text = tail(instance.log_path, max_chars=10**9)
        forbidden = {"the test prompt": PROMPT, "the upstream key": UPSTREAM_KEY, "the API key": instance.api_key}
        leaked = [name for name, value in forbidden.items() if value and value in log_text]
        if leaked:
            pytest.fail(f"server log {instance.log_path} contains {', '.join(leaked)}", pytrace=False)
        if code is None:
            pytest.fail("`wharf serve` did not stop within 20 s of SIGTERM and was killed", pytrace=False)


@pytest.fixture(scope="session")
def client(wharf: Wharf) -> openai.OpenAI:
    return wharf.client()


@pytest.fixture()
def browser() -> Iterator["WebDriver"]:
    """A headless Chromium (English, 1280x900), quit after the test."""
    from browser_support import new_browser

    driver = new_browser("en-US")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots/ when WHARF_UPDATE_SCREENSHOTS=1, else a temporary directory."""
    if os.environ.get("WHARF_UPDATE_SCREENSHOTS") == "1":
        path = REPO_ROOT / "docs" / "screenshots"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")
