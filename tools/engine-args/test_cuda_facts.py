"""facts/cuda.json is complete offline; the index check runs with ROUSE_ENGINE_ARGS_DOWNLOAD=1."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FACTS = json.loads((HERE / "facts" / "cuda.json").read_text())


def test_every_engine_release_has_a_cuda_for_its_torch():
    for engine, versions in FACTS["engines"].items():
        for version, row in versions.items():
            minor = ".".join(row["torch"].split(".")[:2])
            assert FACTS["torchCuda"][minor]["cuda"] in (12, 13), (engine, version)
    # Each torch row cites where its CUDA major was read.
    assert all(row["source"] for row in FACTS["torchCuda"].values())


def test_the_pinned_versions_have_rows():
    pins = json.loads((HERE / "pins.json").read_text())
    for engine, version in pins.items():
        assert version in FACTS["engines"][engine], (engine, version)


@pytest.mark.skipif(os.environ.get("ROUSE_ENGINE_ARGS_DOWNLOAD") != "1", reason="reads wheel metadata from the index")
def test_torch_pins_match_the_wheels():
    run = subprocess.run([sys.executable, str(HERE / "cuda_facts.py"), "--check"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
