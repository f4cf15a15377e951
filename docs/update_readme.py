"""Regenerate the README's example output from the real commands.

    python docs/update_readme.py      # rewrites the blocks in README.md in place

A block is the fenced code block right after a line `<!-- output: COMMAND -->` in README.md;
it is replaced by what `minigan COMMAND` prints. tests/test_cli.py checks that the gradcheck
block still matches the command's output.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"(<!-- output: (?P<command>[^>]+?) -->\n```\n)(?P<body>.*?)(\n```)", re.S)


def blocks(text: str) -> dict[str, str]:
    """{command: the text of its block} for every marked block of a README."""
    return {m["command"]: m["body"] for m in BLOCK.finditer(text)}


def main() -> int:
    outputs = {}
    for command in blocks(README.read_text()):
        print(f"running minigan {command} ...", file=sys.stderr)
        outputs[command] = subprocess.run([sys.executable, "-m", "minigan", *shlex.split(command)],
                                          capture_output=True, text=True, check=True).stdout.rstrip("\n")
    # read again: the README may have been edited while the commands ran
    text = README.read_text()
    README.write_text(BLOCK.sub(lambda m: m[1] + outputs.get(m["command"], m["body"]) + m[4], text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
