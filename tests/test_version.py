"""The version users' requirements see: this SDK replaces the published 0.6.0.

Requirements written for it (``sentrial>=0.6``) must keep resolving to this
package, and every place that reports the version must agree.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version

from packaging.version import Version

import sentrial
from tests.conftest import ROOT

PUBLISHED = Version("0.6.0")  # the published SDK this one replaces


def test_the_version_is_past_the_published_sdk_and_reported_alike() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert Version(sentrial.__version__) > PUBLISHED
    assert sentrial.__version__ == declared == version("sentrial")
    shown = subprocess.run(
        [sys.executable, "-m", "sentrial", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert shown.strip() == f"sentrial {sentrial.__version__}"
