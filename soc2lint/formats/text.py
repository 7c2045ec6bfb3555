"""Any file no other format recognises: its text, for the rules that read every file's lines
(secrets); no structure."""

from __future__ import annotations

from soc2lint.formats.registry import Candidate, Format
from soc2lint.model import Artifact, Document, ParsedArtifact


def parse_text(artifact: Artifact, text: str) -> ParsedArtifact:
    from soc2lint.formats import nodes

    start = nodes.mark(0, 0, 0)
    return ParsedArtifact(artifact, text, (Document(0, nodes.mapping([], start, start), "", text),))


def _anything(_: Candidate) -> bool:
    return True


FORMATS = (Format("text", "Any other file, as text", _anything, parse_text, lenient=True),)
