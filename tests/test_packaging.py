"""The wheel: one distribution with both packages, installs and imports in a clean venv."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path


def test_wheel_installs_and_imports_in_a_clean_venv(root: Path, tmp_path: Path) -> None:
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
