"""Where the time goes in a running process: py-spy samples, summarised by function.

Profiles are taken in extra rounds after the measured ones (sampling stops the process a hundred
times a second, which would slow the very rounds being measured). The summary lists the functions
of the tracker and its libraries by the share of samples in which they were on the stack
(inclusive) and on top of it (self).
"""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

from bench.stack import BIN

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]*)(?::\d+)?\)$")


def start(pid: int, seconds: float, output: Path) -> subprocess.Popen:
    """Sample `pid` and its children for `seconds` (py-spy record, collapsed stacks)."""
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(BIN / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--rate",
            "100",
            "--duration",
            str(int(seconds)),
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def summarise(path: Path, *, top: int = 12) -> dict:
    """The functions of the tracker by inclusive share of the samples (where its own code spends
    the time, callees included), and every function by self share (what is actually running)."""
    if not path.exists():
        return {"samples": 0, "project": [], "self": []}
    inclusive: collections.Counter = collections.Counter()
    own: collections.Counter = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_name(frame) for frame in stack.split(";") if frame]
        for name in set(frames):
            inclusive[name] += n
        if frames:
            own[frames[-1]] += n
    if not total:
        return {"samples": 0, "project": [], "self": []}

    def share(count: int) -> float:
        return round(100 * count / total, 1)

    project = [
        {"function": name, "inclusive": share(count), "self": share(own[name])}
        for name, count in inclusive.most_common()
        if name.endswith((".py)",)) and ("(patients/" in name or "(tracker/" in name)
    ][:top]
    hottest = [
        {"function": name, "inclusive": share(inclusive[name]), "self": share(count)}
        for name, count in own.most_common(top)
    ]
    return {"samples": total, "project": project, "self": hottest}


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    else:
        file = file.rsplit("/main/", 1)[-1]
    return f"{match['function']} ({file})"
