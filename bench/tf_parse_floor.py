#!/usr/bin/env python3
"""The parse floor of a Terraform scan: one process that reads every `*.tf` file under DIR and
parses it with tree-sitter and the tree-sitter-hcl grammar (and every `*.tf.json` with json),
building nothing else. bench/tf_speed.py times this whole process beside soc2lint's.

    python bench/tf_parse_floor.py DIR

Prints the file and byte counts and how many trees hold an ERROR or MISSING node. Exit 0, or 2
when tree-sitter or the grammar is not importable (bench/README.md: the floor venv).
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: tf_parse_floor.py DIR", file=sys.stderr)
        return 2
    try:
        import tree_sitter
        import tree_sitter_hcl
    except ImportError as e:
        print(f"tf_parse_floor.py: {e} (pip install tree-sitter tree-sitter-hcl)", file=sys.stderr)
        return 2
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    files = size = errors = json_files = 0
    for root, dirs, names in os.walk(argv[0]):
        dirs[:] = [d for d in dirs if d not in (".git", ".terraform")]
        for name in names:
            path = os.path.join(root, name)
            if name.endswith(".tf"):
                with open(path, "rb") as fh:
                    data = fh.read()
                tree = parser.parse(data)
                files += 1
                size += len(data)
                errors += tree.root_node.has_error
            elif name.endswith(".tf.json"):
                with open(path, "rb") as fh:
                    data = fh.read()
                try:
                    json.loads(data)
                except ValueError:
                    errors += 1
                json_files += 1
                size += len(data)
    print(f"{files} .tf + {json_files} .tf.json files, {size} bytes, {errors} with parse errors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
