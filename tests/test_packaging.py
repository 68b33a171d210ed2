"""The wheel: one distribution with both packages, installs and imports in a clean venv."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from sentrial._server import LocalServer

from .conftest import Reader


def test_wheel_installs_and_imports_in_a_clean_venv(
    root: Path, tmp_path: Path, sentrial_server: LocalServer
) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("sentrial-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sentrial/py.typed" in names and "sentrial_api/py.typed" in names
    assert "sentrial/_server/sentrial.yaml" in names
    assert "sentrial/_pii_patterns.json" in names  # the PII table, shared with the TS SDK
    assert not any(n.startswith("generated/") for n in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            f"{wheel}[server]",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_CONSTRAINT": str(root / "requirements" / "dev.lock")},
    )
    probe = (
        "import sentrial, sentrial_api, sentrial._server._spec as s;"
        "from sentrial_api.api.default import create_session;"
        "assert 'paths' in s.load_spec();"
        "print(sentrial.__file__)"
    )
    out = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert str(env_dir) in out.stdout

    # Without extras: the core SDK delivers (costs included: genai-prices is a
    # core dependency) and `sentrial serve` says which extra it needs.
    bare_dir = tmp_path / "bare"
    venv.create(bare_dir, with_pip=True)
    bare = bare_dir / "bin" / "python"
    subprocess.run(
        [str(bare), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheel)],
        check=True,
        capture_output=True,
        env={**os.environ, "PIP_CONSTRAINT": str(root / "requirements" / "dev.lock")},
    )
    agent = (
        "import sys, sentrial;"
        "c = sentrial.SentrialClient(api_key=sys.argv[2], api_url=sys.argv[1]);"
        "s = c.create_session('bare', 'bare-install', 'u');"
        "c.track_llm_call(s, 'gpt-4o', provider='openai', prompt_tokens=1000,"
        " completion_tokens=100);"
        "c.complete_session(s); assert c.flush(20), c.stats(); print(s)"
    )
    run = subprocess.run(
        [str(bare), "-c", agent, sentrial_server.url, sentrial_server.api_key],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "SENTRIAL_SPOOL_DIR": str(tmp_path / "spool")},
    )
    assert run.returncode == 0, run.stderr
    session = Reader(sentrial_server).session(run.stdout.strip())
    # gpt-4o: $2.50 per million input tokens, $10 per million output tokens
    assert session["estimatedCost"] == pytest.approx(1000 * 2.5e-6 + 100 * 10e-6)
    serve = subprocess.run(
        [str(bare), "-m", "sentrial", "serve"], capture_output=True, text=True, cwd=tmp_path
    )
    assert serve.returncode == 2 and "sentrial[server]" in serve.stderr
    assert "Traceback" not in serve.stderr
