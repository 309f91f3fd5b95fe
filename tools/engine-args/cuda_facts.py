#!/usr/bin/env python3
"""Which torch each engine release pins, read from its wheel's metadata on the package index.

    python3 tools/engine-args/cuda_facts.py --check   # exit 1 when facts/cuda.json disagrees

pip resolves the release with --dry-run --no-deps --report: it reads the wheel's METADATA (PEP 658,
a few KB) and installs nothing. The torch → CUDA rows of facts/cuda.json are cited from torch's own
wheels (900 MB each), so they are not re-downloaded here.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

FACTS = Path(__file__).parent / "facts" / "cuda.json"


def torch_pin(engine: str, version: str) -> str | None:
    """The `torch==X` a release's wheel requires, or None."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--no-deps",
                "--ignore-installed",
                "--quiet",
                "--report",
                str(report),
                f"{engine}=={version}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        metadata = json.loads(report.read_text())["install"][0]["metadata"]
    for requirement in metadata.get("requires_dist", []):
        match = re.fullmatch(r"torch==([0-9.]+)(?:\s*;.*)?", requirement.strip())
        if match:
            return match.group(1)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with facts/cuda.json (needs the index)")
    args = parser.parse_args()
    facts = json.loads(FACTS.read_text())
    problems = []
    for engine, versions in facts["engines"].items():
        for version, row in versions.items():
            minor = ".".join(row["torch"].split(".")[:2])
            if minor not in facts["torchCuda"]:
                problems.append(f"{engine} {version}: no CUDA known for torch {minor}")
            if args.check:
                pinned = torch_pin(engine, version)
                if pinned != row["torch"]:
                    problems.append(f"{engine} {version}: the wheel pins torch {pinned}, facts say {row['torch']}")
    for p in problems:
        print(f"cuda_facts: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
