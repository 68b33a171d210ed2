from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["sentrial.testing"]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root() -> Path:
    return ROOT
