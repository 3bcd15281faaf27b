"""The report's charts drawn in a child Python process, beside the parent's own work.

`ChartProcess()` starts `python -m bilatrus_etl.report.chart_process` at once: the child imports matplotlib while
the parent reads the warehouse, takes the charts' rows as JSON on stdin (`send`), draws them with
`charts.draw_all` and writes the SVGs as JSON on stdout, which the parent reads (`receive`) after writing the
institution pages. The SVGs are the ones `charts.draw_all` gives in the parent; the child is stopped when the
parent leaves the `with` block early.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from types import TracebackType
from typing import Any

from bilatrus_etl.errors import BilatrusError


class ChartProcess:
    """A child process that draws the landscape page's charts: start it first, `send` the rows, `receive`."""

    def __init__(self) -> None:
        self._stderr = tempfile.TemporaryFile()  # a file, so that a chatty child never blocks on a full pipe
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
        )

    def send(self, rows: dict[str, Any]) -> None:
        """Give the child the rows of every chart (`charts.draw_all`'s argument); it starts drawing."""
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(rows).encode("utf-8"))
            self._process.stdin.close()
        except BrokenPipeError:
            pass  # the child has stopped already: receive() says why

    def receive(self) -> dict[str, str]:
        """The SVG of every chart, by name, once the child has drawn them."""
        assert self._process.stdout is not None
        out = self._process.stdout.read()
        if self._process.wait() != 0:
            self._stderr.seek(0)
            error = self._stderr.read().decode("utf-8", errors="replace").strip()
            raise BilatrusError(
                f"Drawing the report's charts failed (the chart process exited with {self._process.returncode}): "
                f"{error[-3000:] or 'no message'}"
            )
        return json.loads(out)

    def __enter__(self) -> ChartProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._stderr):
            if stream is not None:
                stream.close()


def main() -> None:
    """The child: import matplotlib while a thread reads the rows from stdin (the parent's write does not wait for
    the import), draw, write the SVGs to stdout."""
    from concurrent.futures import ThreadPoolExecutor

    from bilatrus_etl.report import charts

    with ThreadPoolExecutor(max_workers=1) as reader:
        rows = reader.submit(json.load, sys.stdin.buffer)
        charts.load()
    sys.stdout.buffer.write(json.dumps(charts.draw_all(rows.result())).encode("utf-8"))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
