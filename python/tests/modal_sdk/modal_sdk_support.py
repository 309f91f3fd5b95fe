"""Shared paths for the modal SDK tests (a uniquely named module: `conftest` is ambiguous)."""

from pathlib import Path

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
INVALID = FIXTURES / "invalid"
