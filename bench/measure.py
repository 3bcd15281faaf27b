"""Wall time and peak memory of a command run as a subprocess.

Peak memory is the largest resident set of the whole process tree (the command and every descendant),
sampled every POLL_S from /proc (psutil when it is installed: same numbers, other platforms), and never
less than the command's own high-water mark (VmHWM, read while it runs), so a short spike of the main
process between two samples is not missed. Machine load (1-minute load average) is recorded around it:
the machine is shared, and timings on a loaded machine are longer.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

POLL_S = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

try:  # optional: dagster does not pull it in; /proc does the same job on Linux
    import psutil
except ImportError:  # pragma: no cover - depends on the environment
    psutil = None


@dataclass
class Measurement:
    """One timed command."""

    label: str
    wall_s: float
    peak_rss_mb: float
    returncode: int
    load_before: float
    load_after: float
    log: str | None = None
    runs_s: list[float] = field(default_factory=list)  # every run's wall time, when this is the median of several

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def median_of(measurements: Sequence[Measurement]) -> Measurement:
    """The run with the median wall time of repeated runs of one command (its peak memory and log), with every
    run's wall time in `runs_s`; a failed run is returned as it is (a failure is never hidden by a median)."""
    failed = next((m for m in measurements if m.returncode != 0), None)
    if failed is not None:
        return failed
    ordered = sorted(measurements, key=lambda m: m.wall_s)
    return replace(ordered[(len(ordered) - 1) // 2], runs_s=[m.wall_s for m in measurements])


def _proc_children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                children += [int(c) for c in handle.read().split()]
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return children


def _proc_tree(pid: int) -> list[int]:
    tree, stack = [], [pid]
    while stack:
        current = stack.pop()
        tree.append(current)
        stack += _proc_children(current)
    return tree


def _proc_rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0


def _proc_hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def tree_rss(pid: int) -> tuple[int, int]:
    """(resident bytes of the tree rooted at pid, high-water mark of pid itself)."""
    if psutil is not None:
        try:
            root = psutil.Process(pid)
            processes = [root, *root.children(recursive=True)]
            total = 0
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            return total, _proc_hwm(pid)
        except psutil.Error:
            return 0, 0
    return sum(_proc_rss(p) for p in _proc_tree(pid)), _proc_hwm(pid)


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            total, hwm = tree_rss(self.pid)
            self.peak = max(self.peak, total, hwm)
            self.done.wait(POLL_S)


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover
        return float("nan")


def run_measured(
    label: str,
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    timeout: float | None = None,
) -> Measurement:
    """Run `command`, its output to `log` (or discarded); return wall time, peak tree RSS and exit code."""
    load_before = load_average()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    try:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            env=dict(env) if env else None,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        sampler = _Sampler(process.pid)
        sampler.start()
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            returncode = process.wait()
        wall = time.perf_counter() - start
        sampler.done.set()
        sampler.join()
    finally:
        if log:
            out.close()  # type: ignore[union-attr]
    return Measurement(
        label,
        round(wall, 3),
        round(sampler.peak / 2**20, 1),
        returncode,
        load_before,
        load_average(),
        str(log) if log else None,
    )
