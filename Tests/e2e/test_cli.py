"""The operator CLI from an operator's chair: bad input fails with one clear line and a non-zero exit,
nothing is lost, and a server started by SIGTERM-able `wharf serve` drains its usage writer on shutdown."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import openai
import pytest

from conftest import WHARF_BIN, free_port


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    child["WHARF_DATA_DIR"] = str(data_dir)
    child.update(env or {})
    return subprocess.run([WHARF_BIN, *args], capture_output=True, text=True, env=child, timeout=120, cwd=data_dir.parent)


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    assert run(d, "migrate").returncode == 0
    assert run(d, "user", "create", "--email", "bob@example.com", "--password", "long enough pw").returncode == 0
    assert run(d, "credit", "grant", "--user", "bob@example.com", "--amount", "2.5").returncode == 0
    return d


@pytest.mark.parametrize(
    "args, env, setting",
    [
        (["serve", "--port", "99999"], {}, "port"),
        (["serve", "--port", "abc"], {}, "port"),
        (["migrate"], {"WHARF_DATABASE_URL": "mysql://nope"}, "database_url"),
        (["migrate"], {"WHARF_DATABASE_URL": "postgres://wharf@127.0.0.1:1/none?tlsmode=disable"}, "database_url"),
        (["serve"], {"WHARF_LOG_LEVEL": "loud"}, "log_level"),
        (["migrate"], {"WHARF_MASTER_KEY": "not-a-key"}, "master_key"),
    ],
)
def test_bad_configuration_stops_with_one_line_naming_the_setting_and_exit_2(
    data_dir: Path, args: list[str], env: dict[str, str], setting: str
) -> None:
    result = run(data_dir, *args, env=env)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert setting in lines[0]
    assert "Traceback" not in result.stderr and "Fatal error" not in result.stderr


def test_an_unknown_key_in_the_config_file_is_refused(data_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "wharf.yaml"
    config.write_text("port: 8081\nprot: 9\n")
    result = run(data_dir, "migrate", "--config", str(config))
    assert result.returncode == 2
    assert "prot" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["credit", "grant", "--user", "nobody@example.com", "--amount", "1"], "no user"),
        (["credit", "grant", "--user", "bob@example.com", "--amount", "-1"], "negative"),
        (["credit", "grant", "--user", "bob@example.com", "--amount", "1.0000001"], "decimal places"),
        (["credit", "grant", "--user", "bob@example.com", "--amount", "ten"], "not a decimal"),
        (["key", "create", "--user", "nobody@example.com"], "no user"),
        (["channel", "add", "--name", "x", "--provider", "openai", "--base-url", "not a url", "--api-key", "k",
          "--models", "m"], "base-url"),
        (["channel", "add", "--name", "x", "--provider", "foo", "--base-url", "https://a.example/v1",
          "--api-key", "k", "--models", "m"], "provider"),
        (["price", "set", "--model", "m", "--input", "-1", "--output", "1"], "input"),
        (["user", "create", "--email", "bob@example.com", "--password", "long enough pw"], "already exists"),
        (["user", "create", "--email", "not-an-email", "--password", "long enough pw"], "email"),
        (["user", "create", "--email", "c@example.com", "--password", "short"], "password"),
    ],
)
def test_bad_operator_input_fails_with_one_clear_line_and_loses_nothing(
    data_dir: Path, args: list[str], message: str
) -> None:
    result = run(data_dir, *args)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    balance = run(data_dir, "credit", "balance", "--user", "bob@example.com")
    assert balance.stdout == "2.500000\n"
    assert run(data_dir, "ledger", "verify").returncode == 0


def test_credit_balance_prints_a_plain_decimal_alone(data_dir: Path) -> None:
    result = run(data_dir, "credit", "balance", "--user", "BOB@example.com")
    assert result.returncode == 0
    assert result.stdout == "2.500000\n"


def test_sigterm_drains_every_usage_record_before_exit(data_dir: Path, stub) -> None:  # noqa: ANN001
    assert run(data_dir, "channel", "add", "--name", "s", "--provider", "openai-compatible", "--base-url",
               f"http://127.0.0.1:{stub.port}/v1", "--api-key", "upstream-secret-123",
               "--models", "gpt-4o-mini").returncode == 0
    assert run(data_dir, "price", "set", "--model", "gpt-4o-mini", "--input", "1", "--output", "2").returncode == 0
    key = run(data_dir, "key", "create", "--user", "bob@example.com").stdout.strip()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    env.update({"WHARF_DATA_DIR": str(data_dir), "WHARF_USAGE_FLUSH_MS": "60000"})
    log = open(data_dir.parent / "drain.log", "wb")
    server = subprocess.Popen([WHARF_BIN, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_ready(port, server)
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0)
        for _ in range(5):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        # The writer flushes only every 60 s here: what the 5 calls cost is still in memory.
        assert run(data_dir, "credit", "balance", "--user", "bob@example.com").stdout == "2.500000\n"
        os.kill(server.pid, signal.SIGTERM)
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
    after = run(data_dir, "credit", "balance", "--user", "bob@example.com").stdout.strip()
    # 5 calls x (12 prompt x $1/M + 5 completion x $2/M) = 5 x 22 micro-units.
    assert after == "2.499890"
    assert run(data_dir, "ledger", "verify").returncode == 0


def _start_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "wb")
    try:
        return subprocess.Popen([WHARF_BIN, "serve", "--port", str(port), "--host", "127.0.0.1"], stdout=log,
                                stderr=subprocess.STDOUT, env=env)
    finally:
        log.close()


def _wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the first server exited before it was ready"
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200:
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail("the first server was not ready within 60 s")


def _second_server_refuses(first_env: dict[str, str], second_env: dict[str, str], tmp_path: Path) -> None:
    """Starts a server, then a second one on the same database: the second must stop at once with one line and
    exit 2, the first keeps serving, and after the first stops a new one starts."""
    port = free_port()
    first = _start_server(first_env, port, tmp_path / "first.log")
    try:
        _wait_ready(port, first)
        second = subprocess.run([WHARF_BIN, "serve", "--port", str(free_port()), "--host", "127.0.0.1"],
                                capture_output=True, text=True, env=second_env, timeout=60)
        assert second.returncode == 2, second.stdout + second.stderr
        lines = [line for line in second.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "another wharf server is already serving" in lines[0], second.stderr
        assert "password" not in second.stderr and ":wharf@" not in second.stderr
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5).status == 200
        os.kill(first.pid, signal.SIGTERM)
        assert first.wait(timeout=30) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # The lock ends with the server that held it.
    port = free_port()
    third = _start_server(second_env, port, tmp_path / "third.log")
    try:
        _wait_ready(port, third)
    finally:
        os.kill(third.pid, signal.SIGTERM)
        assert third.wait(timeout=30) == 0


def test_a_second_server_on_the_same_sqlite_file_refuses_to_start(data_dir: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    env["WHARF_DATA_DIR"] = str(data_dir)
    _second_server_refuses(env, env, tmp_path)


@pytest.mark.skipif(not os.environ.get("WHARF_TEST_POSTGRES_URL"), reason="needs WHARF_TEST_POSTGRES_URL")
def test_a_second_server_on_the_same_postgresql_refuses_to_start(tmp_path: Path) -> None:
    url = os.environ["WHARF_TEST_POSTGRES_URL"]
    envs = []
    for node in ("a", "b"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
        # Two nodes: each its own data directory (and so its own SQLite default, unused), one database.
        env.update({"WHARF_DATA_DIR": str(tmp_path / node), "WHARF_DATABASE_URL": url})
        envs.append(env)
    # Both nodes need the same master key to read the same secrets.
    key = "ab" * 32
    for env in envs:
        env["WHARF_MASTER_KEY"] = key
    _second_server_refuses(envs[0], envs[1], tmp_path)
