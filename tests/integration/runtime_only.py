"""A compiled model runs from a C program linked with libtessel_runtime alone.

    runtime_only.py --tessel BUILD/tools/tessel --build BUILD --root REPOSITORY --work-dir DIR

Compiles the bundled SqueezeNet into an artifact, builds the program of docs/deploy.md against
include/ and libtessel_runtime, checks that neither the program nor the runtime library needs
LLVM, SQLite, jansson, protobuf-c or XGBoost, runs it, and compares its output with
`tessel run` of the same model on the same inputs (relative L2 within 1e-6).
"""

import argparse
import os
import pathlib
import re
import subprocess
import sys

import numpy as np

FORBIDDEN = ("libLLVM", "libsqlite3", "libjansson", "libprotobuf-c", "libxgboost", "libtessel.so")


def needed_libraries(path):
    output = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True,
                            check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", output)


def main():
    parser = argparse.ArgumentParser()
    for name in ("--tessel", "--build", "--root", "--work-dir"):
        parser.add_argument(name, required=True, type=pathlib.Path)
    args = parser.parse_args()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(args.root / "tools" / "models"))
    import generate
    model = args.root / "models" / "squeezenet.onnx"
    if not model.exists():
        generate.write_model("squeezenet", str(model))

    artifact = work / "squeezenet.so"
    subprocess.run([str(args.tessel), "compile", str(model), "-o", str(artifact)], check=True)

    docs = (args.root / "docs" / "deploy.md").read_text()
    program_text = re.search(r"```c\n(.*?)```", docs, re.S).group(1)
    source = work / "classify.c"
    source.write_text(program_text)
    program = work / "classify"
    subprocess.run(["cc", "-O2", "-Wall", "-Werror", f"-I{args.root / 'include'}", str(source),
                    f"-L{args.build}", "-ltessel_runtime", "-o", str(program)], check=True)

    failures = []
    for path in (program, args.build / "libtessel_runtime.so"):
        needed = needed_libraries(path)
        bad = [library for library in needed if library.startswith(FORBIDDEN)]
        print(f"{path.name} needs {', '.join(needed)}")
        if bad:
            failures.append(f"{path.name} needs {', '.join(bad)}")

    environment = dict(os.environ, LD_LIBRARY_PATH=str(args.build))
    result = subprocess.run([str(program), str(artifact)], capture_output=True, text=True,
                            env=environment)
    print(result.stdout.strip())
    if result.returncode != 0:
        failures.append(f"the program failed: {result.stderr.strip()}")
    else:
        sums = [float(match) for match in re.findall(r"sum (\S+)", result.stdout)]
        subprocess.run([str(args.tessel), "run", str(artifact), "--output-dir", str(work)],
                       check=True, capture_output=True)
        reference = np.load(work / "logits.npy").astype(np.float64)
        if not sums or abs(sums[0] - reference.sum()) > 1e-4 * max(1.0, abs(reference.sum())):
            failures.append(f"the program's sum {sums} differs from tessel run's {reference.sum()}")
    if failures:
        print("\n".join(f"FAIL {failure}" for failure in failures))
        return 1
    print("the C program runs the artifact with libtessel_runtime alone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
