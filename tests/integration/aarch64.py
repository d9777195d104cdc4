"""Models compiled for aarch64 run on aarch64 through the runtime alone, with qemu as the board.

    aarch64.py --tessel BUILD/tools/tessel --root REPOSITORY --onnx-tests DIR --work-dir DIR
               --meson MESON --ninja NINJA

Cross-builds the runtime and tessel-runner (tools/cross/aarch64-linux-gnu.ini) into
WORK/build-aarch64, compiles three ONNX conformance cases (a convolution, a Gemm, a batched
MatMul) and SqueezeNet (tools/models/generate.py) with
--target "llvm -mtriple=aarch64-linux-gnu -mcpu=cortex-a72", runs each artifact with the
cross-built runner under qemu-aarch64-static, and compares every output with a reference we did
not compute: the case's expected output, or ONNX Runtime on the host for SqueezeNet and for the
Gemm run on the runner's fixed input pattern. Then tunes a convolution with the board's runner
as the remote measurer (`tessel tune --remote`, `tessel-runner --serve`) and checks its records
and the artifact compiled with them. The relative L2 error must stay within 1e-5
(float32 with another summation order and FMA is ~1e-7 here; a wrong kernel is ~1).

Exits 77 (skipped) when the cross compiler, the aarch64 C library or qemu is missing;
tools/setup.sh installs them.
"""

import argparse
import json
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from runtime_only import needed_libraries  # the same check of what a program links

TARGET = "llvm -mtriple=aarch64-linux-gnu -mcpu=cortex-a72"
SYSROOT = pathlib.Path("/usr/aarch64-linux-gnu")
QEMU = "qemu-aarch64-static"
TOLERANCE = 1e-5
CASES = [("node", "test_conv_with_strides_padding"), ("node", "test_gemm_all_attributes"),
         ("node", "test_matmul_4d"), ("pytorch-converted", "test_Conv2d")]
# The runner may need these and nothing else: it carries the runtime, and no compiler.
ALLOWED_LIBRARIES = ("libc.so", "libm.so", "libdl.so", "libpthread.so", "ld-linux-aarch64.so")


def missing_tools():
    missing = [tool for tool in ("aarch64-linux-gnu-gcc", QEMU) if not shutil.which(tool)]
    if not (SYSROOT / "lib" / "libm.so.6").exists():
        missing.append(f"the aarch64 C library ({SYSROOT}/lib)")
    return missing


def run(command, **kwargs):
    print("$", " ".join(str(part) for part in command), flush=True)
    return subprocess.run([str(part) for part in command], check=True, **kwargs)


def cross_build_runner(args, work):
    build = work / "build-aarch64"
    if not (build / "build.ninja").exists():
        shutil.rmtree(build, ignore_errors=True)
        run([args.meson, "setup", build, args.root, "--cross-file",
             args.root / "tools" / "cross" / "aarch64-linux-gnu.ini"],
            stdout=subprocess.DEVNULL)
    run([args.ninja, "-C", build, "tools/tessel-runner"], stdout=subprocess.DEVNULL)
    return build / "tools" / "tessel-runner"


def elf_header(path):
    return subprocess.run(["readelf", "-h", str(path)], capture_output=True, text=True,
                          check=True).stdout


def compile_for_aarch64(args, model, artifact):
    run([args.tessel, "compile", model, "-o", artifact, "--target", TARGET])
    header = elf_header(artifact)
    if not re.search(r"Machine:\s+AArch64", header) or "DYN (Shared object file)" not in header:
        raise AssertionError(f"{artifact} is not an aarch64 shared object:\n{header}")


def run_on_board(runner, artifact, inputs, output_dir, extra=()):
    command = [QEMU, "-L", SYSROOT, runner, artifact, "--output-dir", output_dir, *extra]
    for name, path in inputs.items():
        command += ["--input", f"{name}={path}"]
    return run(command, capture_output=True, text=True).stdout


def relative_error(actual, expected):
    actual, expected = actual.astype(np.float64), expected.astype(np.float64)
    if actual.shape != expected.shape:
        return float("inf")
    return float(np.linalg.norm(actual - expected) / max(np.linalg.norm(expected), 1e-30))


def output_file(output_dir, name):
    return output_dir / (re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".npy")


def check_outputs(label, output_dir, expected):
    """expected: output name -> array. Returns the failures."""
    failures = []
    for name, reference in expected.items():
        error = relative_error(np.load(output_file(output_dir, name)), reference)
        print(f"{label}: output '{name}' relative error {error:.3g}")
        if not error <= TOLERANCE:
            failures.append(f"{label}: output '{name}' relative error {error:.3g} > {TOLERANCE}")
    return failures


def graph_inputs(model):
    initializers = {initializer.name for initializer in model.graph.initializer}
    return [value for value in model.graph.input if value.name not in initializers]


def conformance_case(args, runner, work, folder, case):
    case_work = work / case
    case_work.mkdir(exist_ok=True)
    artifact = case_work / "model.so"
    compile_for_aarch64(args, args.onnx_tests / folder / case / "model.onnx", artifact)
    return run_case(args, runner, case_work, folder, case, artifact)


def run_case(args, runner, case_work, folder, case, artifact):
    """Runs the case's artifact on its inputs and compares with its expected outputs."""
    directory = args.onnx_tests / folder / case
    model = onnx.load(str(directory / "model.onnx"))
    data = directory / "test_data_set_0"
    inputs = {}
    for index, value in enumerate(graph_inputs(model)):
        tensor = onnx.TensorProto()
        tensor.ParseFromString((data / f"input_{index}.pb").read_bytes())
        inputs[value.name] = case_work / f"input_{index}.npy"
        np.save(inputs[value.name], numpy_helper.to_array(tensor))
    expected = {}
    for index, value in enumerate(model.graph.output):
        tensor = onnx.TensorProto()
        tensor.ParseFromString((data / f"output_{index}.pb").read_bytes())
        expected[value.name] = numpy_helper.to_array(tensor)
    run_on_board(runner, artifact, inputs, case_work / "outputs")
    return check_outputs(f"{folder}/{case}", case_work / "outputs", expected)


def pattern(shape):
    """The runner's inputs not given: element i is ((i mod 97) - 48) / 64 (docs/deploy.md)."""
    count = int(np.prod(shape))
    return ((np.arange(count) % 97 - 48) / 64).astype(np.float32).reshape(shape)


def onnx_runtime(model_path, feeds):
    import onnxruntime
    session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))


def shape_of(value):
    return [dim.dim_value for dim in value.type.tensor_type.shape.dim]


def pattern_case(args, runner, work):
    """The Gemm case on the runner's own input pattern, timed: the pattern and --repeat."""
    model_path = args.onnx_tests / "node" / "test_gemm_all_attributes" / "model.onnx"
    model = onnx.load(str(model_path))
    feeds = {value.name: pattern(shape_of(value)) for value in graph_inputs(model)}
    artifact = work / "test_gemm_all_attributes" / "model.so"
    output_dir = work / "gemm-pattern"
    stdout = run_on_board(runner, artifact, {}, output_dir, ["--repeat", "3"])
    print(stdout.strip())
    failures = check_outputs("gemm on the pattern", output_dir, onnx_runtime(model_path, feeds))
    if not re.search(r"median \S+ ms, min \S+ ms over 3 runs", stdout):
        failures.append(f"--repeat 3 printed no latency: {stdout!r}")
    return failures


def squeezenet_case(args, runner, work):
    sys.path.insert(0, str(args.root / "tools" / "models"))
    import generate
    model_path = args.root / "models" / "squeezenet.onnx"
    if not model_path.exists():
        generate.write_model("squeezenet", str(model_path))
    model = onnx.load(str(model_path))
    (value,) = graph_inputs(model)
    data = np.random.default_rng(0).standard_normal(shape_of(value)).astype(np.float32)
    case_work = work / "squeezenet"
    case_work.mkdir(exist_ok=True)
    np.save(case_work / "data.npy", data)
    artifact = case_work / "squeezenet.so"
    compile_for_aarch64(args, model_path, artifact)
    run_on_board(runner, artifact, {value.name: case_work / "data.npy"}, case_work / "outputs")
    expected = onnx_runtime(model_path, {value.name: data})
    return check_outputs("squeezenet", case_work / "outputs", expected)


def running_servers(runner):
    """The processes whose command line runs `runner --serve` (read from /proc: no procps)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(runner).encode() in words and b"--serve" in words:
            found.append(entry.name)
    return found


def remote_tuning_case(args, runner, work):
    """`tessel tune --remote`: kernels built here for aarch64, run, checked and timed by the
    cross-built runner (`--serve`) under qemu, which stands for the board. Faults injected on
    the 3rd and 5th candidates (a wrong output, a worker killed with its connection) must be
    recorded as such; the records must be for the board's target only, and compiling with them
    must still compute the case's expected output."""
    folder, case = "pytorch-converted", "test_Conv2d"
    model_path = args.onnx_tests / folder / case / "model.onnx"
    case_work = work / "remote-tuning"
    shutil.rmtree(case_work, ignore_errors=True)
    case_work.mkdir()
    records = case_work / "records.db"
    remote = " ".join(shlex.quote(str(part)) for part in (QEMU, "-L", SYSROOT, runner, "--serve"))
    environment = dict(os.environ, TESSEL_MEASURE_FAULTS="wrong@3,crash@5")
    stdout = run([args.tessel, "tune", model_path, "--records", records, "--target", TARGET,
                  "--remote", remote, "--trials", "24", "--jobs", "2", "--timeout", "60s"],
                 env=environment, capture_output=True, text=True).stdout
    print(stdout.strip())
    failures = []
    exported = run([args.tessel, "db", "export", records], capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in exported.splitlines()]
    errors = sorted(row["error"] for row in rows if row["error"])
    timed = [row for row in rows if not row["error"]]
    print(f"remote tuning: {len(rows)} records, errors {errors}")
    if len(rows) != 24:
        failures.append(f"remote tuning kept {len(rows)} records, not the 24 trials asked for")
    if errors != ["run", "wrong"]:
        failures.append(f"remote tuning recorded the errors {errors}, not one run and one wrong")
    if not all(row["target"] == TARGET and row["seconds"] > 0 for row in timed):
        failures.append("a remote record is not a timing on " + TARGET)
    leftover = running_servers(runner)
    if leftover:
        failures.append(f"board servers left running: {leftover}")
    artifact = case_work / "model.so"
    compiled = run([args.tessel, "compile", model_path, "-o", artifact, "--target", TARGET,
                    "--records", records], capture_output=True, text=True).stdout
    print(compiled.strip())
    if not re.search(r"(\d+) of \1 kernels from tuning records", compiled):
        failures.append(f"the compile did not take every kernel from the records: {compiled!r}")
    failures += run_case(args, runner, case_work, folder, case, artifact)
    return failures


def main():
    parser = argparse.ArgumentParser()
    for name in ("--tessel", "--root", "--onnx-tests", "--work-dir", "--meson", "--ninja"):
        parser.add_argument(name, required=True, type=pathlib.Path)
    args = parser.parse_args()
    missing = missing_tools()
    if missing:
        print(f"SKIP: {', '.join(missing)} missing (tools/setup.sh installs qemu-user-static, "
              "gcc-aarch64-linux-gnu and libc6-dev-arm64-cross)")
        return 77
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    runner = cross_build_runner(args, work)

    failures = []
    if not re.search(r"Machine:\s+AArch64", elf_header(runner)):
        failures.append(f"{runner} is not an aarch64 program")
    needed = needed_libraries(runner)
    print(f"tessel-runner needs {', '.join(needed)}")
    failures += [f"tessel-runner needs {library}" for library in needed
                 if not library.startswith(ALLOWED_LIBRARIES)]
    for folder, case in CASES:
        failures += conformance_case(args, runner, work, folder, case)
    failures += pattern_case(args, runner, work)
    failures += squeezenet_case(args, runner, work)
    failures += remote_tuning_case(args, runner, work)
    if failures:
        print("\n".join(f"FAIL {failure}" for failure in failures))
        return 1
    print("models compiled for aarch64 run with the runtime alone under qemu and match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
