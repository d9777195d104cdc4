"""The command examples in README.md and docs/*.md must run as shown.

    docs_examples.py --root REPOSITORY

Every example is a code block line starting with `$ build/tools/tessel` (continued with a
trailing backslash); the lines after it, up to the next `$` or the end of the block, are its
output. The command must exit 2 when the output shows `tessel: error:` and 0 otherwise, and
every shown output line must appear in what it prints, except lines that elide (`...`, `…`) and
JSON the docs show compacted (checked as JSON instead). Commands run from the repository root.
"""

import argparse
import json
import pathlib
import re
import shlex
import subprocess
import sys


def examples(path):
    """(line number, command, shown output lines) for each example in a Markdown file."""
    lines = path.read_text().splitlines()
    found, in_block, index = [], False, 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            in_block = not in_block
        elif in_block and line.startswith("$ build/tools/tessel"):
            start, command = index + 1, line[2:]
            while command.endswith("\\"):
                index += 1
                command = command[:-1] + " " + lines[index].strip()
            shown = []
            while index + 1 < len(lines) and not lines[index + 1].startswith(("$ ", "```")):
                index += 1
                shown.append(lines[index])
            found.append((start, command, shown))
        index += 1
    return found


def check(root, path, line, command, shown):
    result = subprocess.run(shlex.split(command), cwd=root, capture_output=True, text=True,
                            timeout=300)
    printed = result.stdout + result.stderr
    wants_error = any(text.startswith("tessel: error:") for text in shown)
    problems = []
    if result.returncode != (2 if wants_error else 0):
        problems.append(f"exit status {result.returncode}: {result.stderr.strip()[:300]}")
    if shown and shown[0].startswith("{"):
        try:
            actual = json.loads(result.stdout)
            expected = json.loads("\n".join(text for text in shown if not text.startswith("(")))
            if actual != expected:
                problems.append(f"JSON differs: {json.dumps(actual)[:300]}")
        except json.JSONDecodeError as error:
            problems.append(f"not JSON: {error}")
    else:
        for text in shown:
            if "..." in text or "…" in text or not text.strip():
                continue
            if text.strip() not in printed:
                problems.append(f"missing output line: {text.strip()[:200]}")
    label = f"{path.relative_to(root)}:{line}"
    print(f"  {'ok  ' if not problems else 'FAIL'} {label}: {command[:90]}")
    for problem in problems:
        print(f"       {problem}")
    return not problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True, type=pathlib.Path)
    args = parser.parse_args()
    root = args.root.resolve()
    # The examples use the bundled model, generated on first use as tools/example.sh does.
    sys.path.insert(0, str(root / "tools" / "models"))
    import generate
    if not (root / "models" / "squeezenet.onnx").exists():
        generate.write_model("squeezenet", str(root / "models" / "squeezenet.onnx"))
    paths = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    results = [check(root, path, *example) for path in paths for example in examples(path)]
    print(f"{sum(results)} of {len(results)} documented commands run as shown")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
