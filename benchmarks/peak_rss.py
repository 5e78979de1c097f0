"""Run a caresim command under ``/usr/bin/time -v``; print the parent's peak RSS and wall time.

Usage::

    python benchmarks/peak_rss.py -- python -m caresim run baseline --replications 10 \\
        --workers 2 --out /tmp/bench --progress log

``/usr/bin/time -v`` reports the largest resident set of the process tree it waited for, which
counts worker processes too; the parent's own peak is its ``VmHWM`` (high-water mark) from
``/proc``, read every 0.1 s while it runs (the high-water mark only grows, so a late reading
holds every earlier peak). With ``--progress log`` the time the line ``building and writing
the tables`` arrives on stderr splits the wall time into tasks and the parent's writing stage;
the tasks' own writing is read from the run's manifest (``timings_seconds.tasks_writing``).
The 1-minute load average before and after is printed beside each figure, since the machine
may be shared.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

WRITING_LINE = "building and writing the tables"
POLL_SECONDS = 0.1


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _load() -> float:
    return os.getloadavg()[0]


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1:]
    if not argv:
        print(__doc__)
        return 2
    load_before = _load()
    start = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/time", "-v", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    lines: list[tuple[float, str]] = []

    def read(stream, echo) -> None:
        for line in stream:
            lines.append((time.monotonic() - start, line))
            echo.write(line)

    readers = [threading.Thread(target=read, args=(proc.stdout, sys.stdout), daemon=True),
               threading.Thread(target=read, args=(proc.stderr, sys.stderr), daemon=True)]
    for reader in readers:
        reader.start()
    parent_hwm = 0
    while proc.poll() is None:
        for child in _children(proc.pid):  # the command /usr/bin/time started
            parent_hwm = max(parent_hwm, _hwm_kib(child) or 0)
        time.sleep(POLL_SECONDS)
    for reader in readers:
        reader.join()
    wall = time.monotonic() - start
    text = "".join(line for _, line in lines)
    tree = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    writing_at = next((t for t, line in lines if WRITING_LINE in line), None)
    print(f"\ncommand: {' '.join(argv)}")
    print(f"exit status: {proc.returncode}")
    print(f"wall time: {wall:.1f} s (load average {load_before:.2f} before, "
          f"{_load():.2f} after)")
    print(f"parent peak RSS (VmHWM): {parent_hwm / 2**20:.2f} GiB")
    if tree:
        print(f"largest process's peak RSS (/usr/bin/time -v): "
              f"{int(tree.group(1)) / 2**20:.2f} GiB")
    wrote = re.search(r"^wrote (.+)$", text, flags=re.MULTILINE)
    if writing_at is not None:
        print(f"tasks: {writing_at:.1f} s; parent's writing stage after them: "
              f"{wall - writing_at:.1f} s ({(wall - writing_at) / wall:.0%} of the wall time)")
    if wrote and Path(wrote.group(1), "manifest.json").is_file():
        timings = json.loads(Path(wrote.group(1), "manifest.json").read_text())[
            "timings_seconds"]
        task_writing = timings.get("tasks_writing")
        if task_writing is not None:
            tasks = sum(t for t in timings["tasks"] if t)
            print(f"tasks' own writing: {task_writing:.1f} s of {tasks:.1f} task-seconds")
            if writing_at is not None:
                sim = tasks - task_writing
                total = task_writing + (wall - writing_at)
                print(f"writing in all (tasks' + parent's): {total:.1f} s = "
                      f"{total / max(sim, 1e-9):.0%} of the simulation's {sim:.1f} task-seconds")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
