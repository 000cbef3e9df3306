"""`wharf backup`, `wharf restore` and `wharf secrets rotate` from an operator's chair: a backup taken in one data
directory restores into a new one with the same master key, balances and a verified ledger and audit chain; a used
target or a foreign key ring is refused with one clear line.

Needs only the built binary (no server, no upstream): `pytest Tests/e2e/test_backup.py --noconftest` runs it alone.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest

WHARF_BIN = os.environ.get("WHARF_BIN") or str(Path(__file__).resolve().parents[2] / ".build" / "debug" / "wharf")
EMAIL = "backup-e2e@example.com"
UPSTREAM_KEY = "sk-upstream-e2e-backup-991"


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child = {k: v for k, v in os.environ.items() if not k.startswith("WHARF_")}
    child["WHARF_DATA_DIR"] = str(data_dir)
    child.update(env or {})
    return subprocess.run([WHARF_BIN, *args], capture_output=True, text=True, env=child, timeout=120, cwd=data_dir.parent)


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    d = tmp_path / "source"
    ok(run(d, "user", "create", "--email", EMAIL, "--password", "long enough pw"))
    ok(run(d, "credit", "grant", "--user", EMAIL, "--amount", "12.50"))
    ok(run(d, "channel", "add", "--name", "up", "--provider", "openai", "--base-url", "https://api.example.com/v1",
           "--api-key", UPSTREAM_KEY, "--models", "gpt-4o-mini"))
    return d


def test_backup_restores_into_a_new_data_directory(source: Path, tmp_path: Path) -> None:
    backup = tmp_path / "wharf.backup"
    made = ok(run(source, "backup", "--to", str(backup)))
    assert len(made.stdout.strip().splitlines()) == 1 and "backup written" in made.stdout
    assert "users: 1 rows" in made.stderr
    raw = backup.read_bytes()
    assert raw.startswith(b"wharf-backup v1 key=")
    for needle in (EMAIL.encode(), UPSTREAM_KEY.encode(), b"ledger_entries"):
        assert needle not in raw

    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(source / "master.key", target / "master.key")
    restored = ok(run(target, "restore", "--from", str(backup)))
    assert "ledger ok" in restored.stdout and "audit chain ok" in restored.stdout
    assert ok(run(target, "credit", "balance", "--user", EMAIL)).stdout.strip() == "12.500000"
    ok(run(target, "ledger", "verify"))
    ok(run(target, "audit", "verify"))

    again = run(target, "restore", "--from", str(backup))
    assert again.returncode == 1 and "not empty" in again.stderr
    assert ok(run(target, "credit", "balance", "--user", EMAIL)).stdout.strip() == "12.500000"


def test_restore_without_the_backups_key_is_refused(source: Path, tmp_path: Path) -> None:
    backup = tmp_path / "wharf.backup"
    ok(run(source, "backup", "--to", str(backup)))
    stranger = run(tmp_path / "stranger", "restore", "--from", str(backup))
    assert stranger.returncode == 1 and "not in the configured key ring" in stranger.stderr


def test_rotation_reseals_secrets_and_names_keys_still_needed(source: Path) -> None:
    old = (source / "master.key").read_text().strip()
    new = base64.b64encode(bytes(range(32))).decode()
    rotated = ok(run(source, "secrets", "rotate", env={"WHARF_MASTER_KEY": f"{new},{old}"}))
    assert "channels.api_key_ciphertext: 1 re-sealed" in rotated.stderr
    # Audit rows written under the old key are verified with it: rotation says so instead of letting it go.
    assert "audit rows:" in rotated.stderr and "keep" in rotated.stdout, rotated.stdout
    # With the new key alone, the channel's key still opens (a second rotation finds it under the primary key).
    alone = ok(run(source, "secrets", "rotate", env={"WHARF_MASTER_KEY": new}))
    assert "channels.api_key_ciphertext: 0 re-sealed, 1 already under" in alone.stderr
