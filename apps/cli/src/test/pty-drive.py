"""Runs a command in a real pseudo-terminal and types into it, for terminal tests.

    python3 pty-drive.py '<argv json>' '<steps json>'

Steps: [{"wait": "text"} | {"send": "keys"} | {"sleep": seconds}], in order; each wait
looks for its text after where the previous wait's text was found. "\\u0003"
is Ctrl-C, "\\u0004" Ctrl-D. Prints one JSON line: {"output": ..., "code": ..., "timed_out": ...}.
Only the standard library (pty, os, select), so any python3 runs it.
"""

import json
import os
import pty
import select
import sys
import time

argv = json.loads(sys.argv[1])
steps = json.loads(sys.argv[2])
deadline = time.time() + float(os.environ.get("PTY_TIMEOUT", "60"))

pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

output = b""


def pump(seconds: float) -> bool:
    """Reads what arrives for up to `seconds`; False once the child closed the terminal."""
    global output
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], max(0.0, min(0.05, end - time.time())))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            output += chunk
    return True


timed_out = False
cursor = 0
for step in steps:
    if "wait" in step:
        needle = step["wait"].encode()
        while output.find(needle, cursor) < 0:
            if time.time() > deadline or not pump(0.05):
                timed_out = time.time() > deadline
                break
        found = output.find(needle, cursor)
        if found >= 0:
            cursor = found + len(needle)
    elif "send" in step:
        os.write(fd, step["send"].encode())
    elif "sleep" in step:
        pump(step["sleep"])

code = None
while time.time() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        code = os.waitstatus_to_exitcode(status)
        break
    pump(0.05)
else:
    timed_out = True
    os.kill(pid, 9)
pump(0.1)
print(json.dumps({"output": output.decode("utf-8", "replace"), "code": code, "timed_out": timed_out}))
