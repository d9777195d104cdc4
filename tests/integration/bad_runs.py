"""`tessel run`, `compile` and `bench` on bad input: a clear message and exit status 2, never a
crash, and no partial artifact left behind.

    bad_runs.py --tessel BUILD/tools/tessel --models-dir DIR --work-dir DIR

Covers misnamed inputs (of a model and of an artifact), input files of the wrong shape or dtype
or missing, files that are neither a model nor an artifact, truncated artifacts, an artifact
compiled for a CPU feature this machine lacks, bad targets and unwritable outputs.
"""

import argparse
import pathlib
import subprocess
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tools" / "models"))
import generate  # noqa: E402

FAILURES = []


def expect(tessel, args, status, *fragments):
    result = subprocess.run([tessel, *args], capture_output=True, text=True, timeout=600)
    label = " ".join(str(a) for a in args)
    if result.returncode != status:
        FAILURES.append(f"{label}: exit {result.returncode}, wanted {status}\n{result.stderr}")
        return
    for fragment in fragments:
        if fragment not in result.stderr:
            FAILURES.append(f"{label}: message lacks '{fragment}':\n{result.stderr}")


def missing_cpu_feature():
    """An x86 feature LLVM knows that this CPU lacks, with its /proc/cpuinfo flag."""
    flags = set()
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
    for llvm_name, flag in (("avx512fp16", "avx512_fp16"), ("amx-tile", "amx_tile"),
                            ("avx512f", "avx512f"), ("avx2", "avx2")):
        if flag not in flags:
            return llvm_name
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessel", required=True)
    parser.add_argument("--models-dir", required=True, type=pathlib.Path)
    parser.add_argument("--work-dir", required=True, type=pathlib.Path)
    args = parser.parse_args()
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    model = args.models_dir / "squeezenet.onnx"
    if not model.exists():
        args.models_dir.mkdir(parents=True, exist_ok=True)
        generate.write_model("squeezenet", str(model))
    tessel = args.tessel

    artifact = work / "squeezenet.so"
    expect(tessel, ["compile", model, "-o", artifact], 0)
    good = work / "data.npy"
    np.save(good, np.zeros((1, 3, 224, 224), np.float32))
    np.save(work / "shape.npy", np.zeros((1, 3, 10, 10), np.float32))
    np.save(work / "dtype.npy", np.zeros((1, 3, 224, 224), np.float64))

    for subject in (model, artifact):
        expect(tessel, ["run", subject, "--input", f"nothere={good}", "--output-dir", work], 2,
               "no input 'nothere'", "'data'")
        expect(tessel, ["run", subject, "--input", f"data={work / 'shape.npy'}",
                        "--output-dir", work], 2, "f32[1, 3, 10, 10]", "'data'")
        expect(tessel, ["run", subject, "--input", f"data={work / 'dtype.npy'}",
                        "--output-dir", work], 2, "f64[1, 3, 224, 224]")
        expect(tessel, ["run", subject, "--input", f"data={work / 'absent.npy'}",
                        "--output-dir", work], 2, "absent.npy")
        expect(tessel, ["run", subject, "--input", "data", "--output-dir", work], 2, "NAME=FILE")
    expect(tessel, ["run", artifact, "--input", f"data={good}", "--output-dir", work], 0)

    garbage = work / "garbage.bin"
    garbage.write_bytes(b"neither a model nor a library\n" * 10)
    expect(tessel, ["run", garbage], 2, "garbage.bin")
    expect(tessel, ["bench", garbage], 2, "garbage.bin")
    data = artifact.read_bytes()
    for size in (16, 64, 1000, len(data) // 2, len(data) - 1):
        truncated = work / f"truncated-{size}.so"
        truncated.write_bytes(data[:size])
        expect(tessel, ["run", truncated], 2, f"truncated-{size}.so")
        expect(tessel, ["bench", truncated], 2, f"truncated-{size}.so")

    feature = missing_cpu_feature()
    if feature:
        other = work / "other-cpu.so"
        expect(tessel, ["compile", model, "-o", other, "--target", f"llvm -mattr=+{feature}"], 0)
        expect(tessel, ["run", other], 2, feature, "lacks")

    expect(tessel, ["compile", model, "-o", work / "t.so", "--target", "llvm -mfrobnicate=1"], 2,
           "-mfrobnicate")
    expect(tessel, ["compile", model, "-o", work / "t.so", "--target", "cuda-nonsense"], 2)
    # The graph passes' options: a level that does not exist, a pass that does not, no value.
    expect(tessel, ["compile", model, "-o", work / "t.so", "-O7"], 2, "-O0 to -O3")
    expect(tessel, ["compile", model, "-o", work / "t.so", "--disable-pass", "fusion"], 2,
           "no pass is named 'fusion'", "fuse")
    expect(tessel, ["run", model, "--dump-after", "nothing", "--output-dir", work], 2,
           "no pass is named 'nothing'")
    expect(tessel, ["bench", model, "--disable-pass"], 2, "needs a pass name")
    expect(tessel, ["inspect", model, "--ir", "llvm"], 2, "imported, fused, tir or trace")
    unwritable = work / "no-such-folder" / "model.so"
    expect(tessel, ["compile", model, "-o", unwritable], 2, "no-such-folder")

    # Tuning and its records.
    records = work / "records.db"
    for stale in work.glob("records.db*"):
        stale.unlink()
    expect(tessel, ["tune", work / "absent.onnx", "--records", records], 2, "absent.onnx")
    expect(tessel, ["tune", model, "--records", records, "--trials", "0"], 2, "positive count")
    expect(tessel, ["tune", model, "--records", records, "--time-budget", "soon"], 2,
           "like 90s, 20m or 2h")
    expect(tessel, ["tune", model, "--records", records, "--search", "genetic"], 2,
           "evolutionary or random")
    expect(tessel, ["tune", model, "--records", records, "--jobs", "0"], 2,
           "--jobs takes a count from 1 to 1024, not '0'")
    expect(tessel, ["tune", model, "--records", records, "--jobs", "many"], 2,
           "--jobs takes a count from 1 to 1024, not 'many'")
    expect(tessel, ["tune", model, "--records", records, "--target", "llvm -mcpu=cortex-a72"], 2,
           "tuning measures on this machine")
    expect(tessel, ["tune", model, "--records", garbage], 2, "garbage.bin",
           "not a tessel records database")
    expect(tessel, ["compile", model, "-o", work / "t.so", "--records", garbage], 2,
           "not a tessel records database")
    expect(tessel, ["compile", model, "-o", work / "t.so", "--records", work / "absent.db"], 2,
           "absent.db: no tuning records there")
    expect(tessel, ["db", "list", work / "absent.db"], 2, "absent.db: no tuning records there")
    expect(tessel, ["db", "frobnicate"], 2, "no action 'frobnicate'")
    expect(tessel, ["db", "import", records, work / "absent.jsonl"], 2, "absent.jsonl")
    bad_lines = work / "bad.jsonl"
    bad_lines.write_text('{"workload": "w", "target": "t", "trace": {}, "seconds": 1}\nnot json\n')
    expect(tessel, ["db", "import", records, bad_lines], 2, "bad.jsonl: line 2")
    expect(tessel, ["db", "show", records, "ffff"], 2, "no workload's key starts with 'ffff'")
    expect(tessel, ["db", "top", records, "--workload", "ffff"], 2,
           "no workload's key starts with 'ffff'")
    expect(tessel, ["db", "top", records, "-n", "0"], 2, "-n takes a positive count")
    expect(tessel, ["db", "top", records, "--workload"], 2, "--workload needs a key")
    expect(tessel, ["db", "top", records, "ffff"], 2, "db top takes no arguments but the database")
    expect(tessel, ["db", "report", records], 2, "needs -o FILE.html")
    expect(tessel, ["db", "report", records, "-o", work / "r.html"], 2, "no tuned model")
    leftovers = [p.name for p in work.iterdir() if "partial" in p.name]
    if leftovers:
        FAILURES.append(f"partial files left behind: {leftovers}")

    for failure in FAILURES:
        print("FAIL", failure)
    print(f"{len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
