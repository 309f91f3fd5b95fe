# rouse:prelude
# The boot report of every emitted app.py, as real Python that ruff and pytest read
# directly (see ../emit/template.ts for the markers). This prelude is not emitted: its
# imports join app.py's import block, and APP_NAME is defined in app.py's header (the
# value here serves tests and linters only).
import json
import time

APP_NAME = "template"


def write_boot_file() -> None:
    pass


# rouse:end-prelude
BOOT = {"app": APP_NAME, "restored": False, "phases": {"process_start": time.time()}}


def boot_mark(phase: str) -> None:
    BOOT["phases"][phase] = time.time()


def report_boot() -> None:
    """One log line per container; the guard also serves it at /rouse/boot."""
    print("ROUSE_BOOT_REPORT", json.dumps(BOOT), flush=True)
    # rouse:if guard-in-process
    write_boot_file()  # the guard runs in the engine process: it reads the report there
    # rouse:end-if
