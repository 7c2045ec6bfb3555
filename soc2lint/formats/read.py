"""Read an artifact's text safely: size cap, binary, encoding."""

from __future__ import annotations

from soc2lint.model import Artifact, ParsedArtifact

BINARY_SNIFF = 8192
BINARY_ERROR = "binary file (NUL bytes); not evaluated"


def read_text(artifact: Artifact, max_size: int, lenient: bool = False) -> ParsedArtifact:
    """The decoded text (in `.text`), or a ParsedArtifact carrying the reason it cannot be read.
    `lenient`: text that is not UTF-8 is decoded with replacement characters, not refused."""
    if artifact.size > max_size:
        return ParsedArtifact(
            artifact,
            error=(
                f"file is {_size(artifact.size)}, over the max_file_size of "
                f"{_size(max_size)}; not evaluated"
            ),
        )
    try:
        with open(artifact.abspath, "rb") as handle:
            data = handle.read(min(artifact.size, max_size) + 1)
    except OSError as exc:
        return ParsedArtifact(artifact, error=f"cannot read file: {exc.strerror}")
    if b"\0" in data[:BINARY_SNIFF]:
        return ParsedArtifact(artifact, error=BINARY_ERROR)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if lenient:  # a file read only as text: scan what is readable
            return ParsedArtifact(artifact, data.decode("utf-8", "replace"))
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        # columns count characters everywhere else, so decode what precedes the bad byte
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        return ParsedArtifact(
            artifact,
            error=f"not UTF-8: invalid byte 0x{data[exc.start]:02x}; not evaluated",
            error_line=line,
            error_column=column,
        )
    return ParsedArtifact(artifact, text)


def _size(count: int) -> str:
    return f"{count / 1048576:.1f} MiB" if count >= 1048576 else f"{count:,} bytes"
