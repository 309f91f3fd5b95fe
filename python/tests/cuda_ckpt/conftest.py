import sys
from pathlib import Path

# Make `rouse_py` importable however pytest is invoked (python/pyproject.toml also sets pythonpath=src).
_SRC = str(Path(__file__).resolve().parents[2] / "src")
if _SRC not in sys.path:
    sys.path.insert(0, _SRC)
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _ledger_dir(tmp_path, monkeypatch):
    """Keep the suspend/resume ledger of every test in its own directory."""
    monkeypatch.setenv("ROUSE_CUDA_CKPT_STATE_DIR", str(tmp_path / "ledger"))
