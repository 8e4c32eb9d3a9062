"""The settings refuse unsafe production set-ups; `check --deploy` is clean in a production-like one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env={**base, **env},
                          capture_output=True, text=True, timeout=120, cwd="/tmp", check=False)


def test_refuses_to_start_on_development_secret_key_with_debug_off(tmp_path):
    result = _manage("check", DEBUG="0", FIELDOPS_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is the development key" in result.stderr


def test_debug_mode_runs_on_development_key(tmp_path):
    result = _manage("check", DEBUG="1", FIELDOPS_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_in_production_like_environment(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="0", SECRET_KEY="x7Yq2-" + "k" * 20 + "-Zr9Lm4pQv8sT1uW3yB6nD0fH5jK-" + "p" * 10,
        ALLOWED_HOSTS="fieldops.example", FIELDOPS_PUBLIC_URL="https://fieldops.example",
        FIELDOPS_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _setting(name: str, tmp_path, **env: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", "FIELDOPS_VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True,
                            timeout=120, cwd="/tmp", check=True)
    return result.stdout.strip()


def test_the_throttle_counters_live_in_redis_when_there_is_one(tmp_path):
    # shared by every process and kept across restarts; local memory only without Redis
    assert "RedisCache" in _setting("CACHES", tmp_path, REDIS_URL="redis://127.0.0.1:6379/3")
    assert "LocMemCache" in _setting("CACHES", tmp_path)
