"""One line of progress on a terminal, rewritten in place; nothing when the stream is not one
(CI logs, pipes), so that output stays the same wherever it goes."""

from __future__ import annotations

from typing import IO


class Progress:
    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream if stream is not None and stream.isatty() else None
        self.width = 0

    def show(self, text: str) -> None:
        if self.stream is None:
            return
        line = f"soc2lint: {text}"
        self.stream.write("\r" + line.ljust(self.width))
        self.stream.flush()
        self.width = len(line)

    def clear(self) -> None:
        if self.stream is not None and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0
