"""`make bench PROFILE=1`: a py-spy flame graph of each process a figure exercises, while that figure runs.

Files go to var/bench/profiles/<figure>.<process>.svg, so that the next person sees where a figure's time goes
without reproducing the run. py-spy samples another process from outside (ptrace: root, or
kernel.yama.ptrace_scope 0); it slows the sampled process a little, so a profiled run's figures are not of record.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from services.common.settings import REPO_ROOT

PROFILE_DIR = REPO_ROOT / "var" / "bench" / "profiles"
RATE = 100  # samples a second: py-spy's default, cheap enough for a two-core machine


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Profiler:
    """Records flame graphs when enabled; does nothing otherwise, so that figures call it unconditionally."""

    def __init__(self, enabled: bool, directory: Path = PROFILE_DIR, *, raw: bool = False) -> None:
        self.enabled, self.directory, self.raw = enabled, directory, raw
        self.written: list[Path] = []

    @contextmanager
    def record(self, figure: str, processes: dict[str, int]) -> Iterator[None]:
        """py-spy on each (name → pid) while the block runs; stopped with SIGINT, which makes it write its SVG."""
        if not self.enabled:
            yield
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        spies = []
        for name, pid in processes.items():
            path = self.directory / f"{_slug(figure)}.{name}.{'txt' if self.raw else 'svg'}"
            command = _command(path, pid, raw=self.raw)
            spies.append((subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE), path))
        try:
            yield
        finally:
            for spy, path in spies:
                spy.send_signal(signal.SIGINT)
                try:
                    _, error = spy.communicate(timeout=60)
                except subprocess.TimeoutExpired:
                    spy.kill()
                    error = b"py-spy did not stop"
                if path.exists():
                    self.written.append(path)
                else:
                    print(f"  no profile {path.name}: {error.decode(errors='replace')[-200:]}", file=sys.stderr)


def _command(path: Path, pid: int, *, raw: bool) -> list[str]:
    """py-spy installs a binary beside the interpreter (the dev group's py-spy); raw is its collapsed stacks (one
    line a stack and its count), which a text tool can sum by frame."""
    binary = Path(sys.executable).with_name("py-spy")
    fmt = ["--format", "raw"] if raw else []
    return [str(binary), "record", "--rate", str(RATE), "--nonblocking", *fmt, "-o", str(path), "--pid", str(pid)]
