# rouse:prelude
# The work before a CPU-only snapshot in every emitted app.py that takes one (no GPU is
# there yet): import the engine once and read the cached weights, so both are warm after
# restore. Real Python that ruff and pytest read directly (see ../emit/template.ts for
# the markers). This prelude is not emitted: its imports join app.py's import block, and
# BOOT comes from the boot template, as in app.py. Run as it stands, both sides of
# `rouse:if hub` run (the app keeps one): tests give MODEL_NAME the folder the hub finds.
import os
import subprocess
import sys

from boot import BOOT

MODEL_NAME = "/models/template"

# rouse:end-prelude
PREPARE_IMPORTS = ["json"]


def prepare() -> None:
    """CPU-only snapshots: work before the snapshot that needs no GPU (Modal gives it none)."""
    # Import the engine once in a child process: its files (torch alone is >20,000) are
    # read and byte-compiled now, so the engine's own import after restore finds them
    # warm. Only a speed-up: a failure is reported, not fatal.
    code = "import " + ", ".join(PREPARE_IMPORTS)
    try:
        run = subprocess.run([sys.executable, "-c", code], check=False, timeout=600)
    except subprocess.TimeoutExpired:
        run = None
    prepared: dict[str, bool | int] = {
        "imported": run is not None and run.returncode == 0
    }
    BOOT["prepare"] = prepared
    # rouse:if hub
    # Read the weights already in the cache (volume or image) once; nothing is
    # downloaded here.
    try:
        from huggingface_hub import snapshot_download

        path = snapshot_download("o/m", local_files_only=True)  # rouse:fill weights
    except (ImportError, OSError, ValueError):
        # Not cached yet (or no huggingface_hub): the engine downloads the weights
        # itself.
        prepared["weights_read"] = 0
        return
    # rouse:else
    # Read the weights, a folder in the container, once.
    path = MODEL_NAME
    # rouse:end-if
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                while chunk := f.read(1 << 24):
                    total += len(chunk)
    prepared["weights_read"] = total
