"""Tuning GEMM: tessel's default schedule, the evolutionary (cost-model) search and random search
with the same number of trials, against OpenBLAS (through numpy), all in one run.

    tune_gemm.py --tessel BUILD/tools/tessel [--n 1024] [--trials 500] [--threads N]
                 [--min-time SECONDS] [--work-dir DIR] [--resume]

C = A·B of n×n f32 matrices, B a constant (a layer's weight), as a one-node ONNX model. Each
search tunes into a database of its own (made afresh), then `tessel bench` runs the model with
those records. From each database come the tuning curve of the product's kernel (best time
against trials), with the default schedule (the tuner's first trial) and without it, and what
the search measured: the median candidate, the failures, the best candidate it drew itself.
With --resume the databases are kept and each search continues to the trials. numpy's OpenBLAS
runs N threads (OPENBLAS_NUM_THREADS, set before numpy loads).
"""

import argparse
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import time


def parse_arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessel", required=True, type=pathlib.Path)
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--trials", type=int, default=500)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--min-time", type=float, default=2.0)
    parser.add_argument("--work-dir", type=pathlib.Path, default=pathlib.Path("/tmp/tune-gemm"))
    parser.add_argument("--resume", action="store_true")
    return parser.parse_args()


ARGS = parse_arguments()
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread count is set)
import onnx  # noqa: E402
from timing import median_seconds  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402


def numpy_seconds(function):
    return median_seconds(function, ARGS.min_time)


def bench(model, records):
    command = [str(ARGS.tessel), "bench", str(model), "--json", "--threads", str(ARGS.threads),
               "--min-time", str(ARGS.min_time)]
    command += ["--records", str(records)] if records else ["--no-records"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)["median_ms"] / 1e3


def tune(model, records, search):
    for stale in records.parent.glob(records.name + "*"):
        if not ARGS.resume:
            stale.unlink()
    started = time.perf_counter()
    subprocess.run([str(ARGS.tessel), "tune", str(model), "--records", str(records), "--trials",
                    str(ARGS.trials), "--search", search], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def product_times(records):
    """The product's task's (the slowest kernel's) measured seconds in trial order, None where a
    candidate failed; the first is the default schedule's (the tuner measures it first)."""
    connection = sqlite3.connect(records)
    workload = connection.execute(
        "SELECT workload FROM records WHERE seconds IS NOT NULL GROUP BY workload "
        "ORDER BY min(seconds) DESC LIMIT 1").fetchone()[0]
    rows = connection.execute("SELECT seconds FROM records WHERE workload = ? ORDER BY id",
                              (workload,)).fetchall()
    connection.close()
    return [seconds for (seconds,) in rows]


def curve(times, first=0):
    """Best seconds among times[first:] after each tenth of the trials."""
    best, points = None, []
    for index, seconds in enumerate(times, 1):
        if index > first and seconds is not None and (best is None or seconds < best):
            best = seconds
        if index % max(1, len(times) // 10) == 0 or index == len(times):
            points.append((index, best))
    return points


def summary(times):
    """What a search measured: the best overall, the best of its own candidates (the default
    left out), the median candidate and the failures."""
    measured = sorted(s for s in times if s is not None)
    own = [s for s in times[1:] if s is not None]
    return {"best": measured[0], "own": min(own) if own else None,
            "median": measured[len(measured) // 2], "failed": times.count(None),
            "trials": len(times)}


def main():
    n = ARGS.n
    ARGS.work_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])], "gemm",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])],
        [numpy_helper.from_array(b, "b")])
    model = ARGS.work_dir / f"gemm{n}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(model))
    flops = 2.0 * n ** 3
    config = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    print(f"GEMM {n}³ f32, {ARGS.trials} trials a search; numpy's BLAS: {config.get('name')} "
          f"{config.get('version', '')}, OPENBLAS_NUM_THREADS={ARGS.threads}; tessel --threads "
          f"{ARGS.threads}", flush=True)
    searches = {}
    for search in ("evolutionary", "random"):
        records = ARGS.work_dir / f"{search}.db"
        seconds = tune(model, records, search)
        times = product_times(records)
        searches[search] = (records, seconds, times)
        print(f"{search}: tuned in {seconds:.0f} s; best after trials: "
              + ", ".join(f"{i}: {s * 1e3:.2f} ms" for i, s in curve(times) if s), flush=True)
        print(f"{search}: best of its own candidates (the default left out) after trials: "
              + ", ".join(f"{i}: {s * 1e3:.2f} ms" for i, s in curve(times, 1) if s), flush=True)
    # The timings, alternated with OpenBLAS's so that noise hits all alike.
    blas = numpy_seconds(lambda: a @ b)
    default = bench(model, None)
    tuned = {search: bench(model, records) for search, (records, _, _) in searches.items()}
    blas = min(blas, numpy_seconds(lambda: a @ b))
    print("\n| schedule | GFLOP/s | / OpenBLAS |")
    print("|---|---|---|")
    print(f"| OpenBLAS | {flops / blas / 1e9:.1f} | 1.00 |")
    print(f"| tessel default | {flops / default / 1e9:.1f} | {blas / default:.2f} |")
    for search, seconds in tuned.items():
        print(f"| tessel tuned, {search} search | {flops / seconds / 1e9:.1f} | "
              f"{blas / seconds:.2f} |")
    print("\nWhat each search measured (the product's kernel, times from the tuner's workers):\n")
    print("| search | trials | tuning time | failed | median candidate | best of its own "
          "candidates | best, the default's included |")
    print("|---|---|---|---|---|---|---|")
    for search, (_, seconds, times) in searches.items():
        s = summary(times)
        own = f"{s['own'] * 1e3:.2f} ms" if s["own"] else "none"
        print(f"| {search} | {s['trials']} | {seconds:.0f} s | {s['failed']} | "
              f"{s['median'] * 1e3:.2f} ms | {own} | {s['best'] * 1e3:.2f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
