"""Latency of tessel against ONNX Runtime on the same machine, in the same run.

    compare.py --tessel BUILD/tools/tessel [--models-dir models] [--threads N]
               [--min-time SECONDS] [--records DB] [--rounds N] [--markdown] [MODEL...]

For each model (generated into the models folder when missing): ONNX Runtime's median latency
(CPU execution provider, all graph optimisations, N intra-op threads) and `tessel bench`'s at
-O3 and at -O0 (no graph passes), with default schedules, on the same inputs, interleaved so
that load on a shared machine hits all alike. Prints the ratios tessel -O3 / ONNX Runtime
(below 1: tessel is faster) and -O3 / -O0 (what the graph passes gain). With --records, also
tessel -O3 with the tuning records of DB, and its ratio to ONNX Runtime and to the default
schedules. --markdown prints the table of docs/performance.md.

--rounds N measures everything N times, one configuration after another in each round (each
`tessel bench` a process of its own), and reports each configuration's median over the rounds,
with each ratio's range over the rounds (in the table too): on a shared machine one process
can run in a slow mode for its whole life, which a single round cannot tell from a slower
schedule.
"""

import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "tools" / "models"))
import generate  # noqa: E402

DEFAULT_MODELS = ("resnet18", "resnet50", "mobilenetv2", "bert")


def pattern_inputs(model):
    """The inputs `tessel bench` feeds: element i is ((i mod 97) - 48) / 64 for floats, i mod 7
    for integers."""
    inputs = {}
    for value in model.graph.input:
        tensor_type = value.type.tensor_type
        shape = [d.dim_value for d in tensor_type.shape.dim]
        count = int(np.prod(shape)) if shape else 1
        index = np.arange(count)
        if tensor_type.elem_type == onnx.TensorProto.FLOAT:
            inputs[value.name] = ((index % 97 - 48) / 64).astype(np.float32).reshape(shape)
        else:
            inputs[value.name] = (index % 7).astype(np.int64).reshape(shape)
    return inputs


def ort_median(path, threads, min_time):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    inputs = pattern_inputs(onnx.load(str(path), load_external_data=False))
    for _ in range(3):
        session.run(None, inputs)
    latencies, started = [], time.perf_counter()
    while len(latencies) < 5 or time.perf_counter() - started < min_time:
        before = time.perf_counter()
        session.run(None, inputs)
        latencies.append((time.perf_counter() - before) * 1e3)
    return float(np.median(latencies))


def tessel_median(tessel, path, threads, min_time, opt_level, records=None):
    command = [str(tessel), "bench", str(path), "--json", "--threads", str(threads),
               "--min-time", str(min_time), f"-O{opt_level}"]
    command += ["--records", str(records)] if records else ["--no-records"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    return json.loads(result.stdout)["median_ms"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessel", required=True, type=pathlib.Path)
    parser.add_argument("--models-dir", type=pathlib.Path, default=REPOSITORY / "models")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--min-time", type=float, default=3.0)
    parser.add_argument("--records", type=pathlib.Path,
                        help="also measure tessel with these tuning records")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure every configuration this many times, alternating")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("models", nargs="*", default=DEFAULT_MODELS)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    rows = []
    for name in args.models:
        path = args.models_dir / f"{name}.onnx"
        if not path.exists():
            generate.write_model(name, str(path))
        rounds = []
        for _ in range(args.rounds):
            ort = ort_median(path, args.threads, args.min_time)
            tessel = tessel_median(args.tessel, path, args.threads, args.min_time, 3)
            tuned = (tessel_median(args.tessel, path, args.threads, args.min_time, 3, args.records)
                     if args.records else None)
            ort_again = ort_median(path, args.threads, args.min_time)
            unoptimized = tessel_median(args.tessel, path, args.threads, args.min_time, 0)
            rounds.append((tessel, unoptimized, (ort + ort_again) / 2, tuned, ort, ort_again))
            if args.rounds > 1:
                tuned_text = f", tuned {tuned:.2f}" if tuned else ""
                print(f"  {name} round {len(rounds)}: tessel {tessel:.2f} ms (-O0 {unoptimized:.2f})"
                      f"{tuned_text}, ONNX Runtime {ort:.2f} and {ort_again:.2f}", flush=True)
        middle = [float(np.median([r[i] for r in rounds])) if rounds[0][i] else None
                  for i in range(4)]
        tessel, unoptimized, anchor, tuned = middle

        def spread(numerator, denominator):
            if args.rounds == 1:
                return ""
            ratios = [r[numerator] / r[denominator] for r in rounds]
            return f" [{min(ratios):.2f}-{max(ratios):.2f}]"

        tuned_text = (f", tuned {tuned:.2f} ms (ratio {tuned / anchor:.2f}{spread(3, 2)}, "
                      f"tuned / default {tuned / tessel:.2f}{spread(3, 0)})" if tuned else "")
        anchor_text = (f"runs {rounds[0][4]:.2f} and {rounds[0][5]:.2f}" if args.rounds == 1
                       else f"median of {args.rounds} rounds")
        print(f"{name}: tessel {tessel:.2f} ms (-O0 {unoptimized:.2f} ms), ONNX Runtime "
              f"{anchor:.2f} ms ({anchor_text}), ratio {tessel / anchor:.2f}{spread(0, 2)}, "
              f"-O3 / -O0 {tessel / unoptimized:.2f}{tuned_text}", flush=True)
        rows.append((name, tessel, unoptimized, anchor, tuned,
                     [spread(0, 2), spread(3, 2) if tuned else "", spread(3, 0) if tuned else ""]))
    if args.markdown:
        rounds_text = f", medians of {args.rounds} rounds" if args.rounds > 1 else ""
        print(f"\nMeasured on {platform.processor() or platform.machine()}, {args.threads} threads, "
              f"ONNX Runtime {onnxruntime.__version__}{rounds_text}:\n")
        tuned_head = " tuned (ms) | tuned / ONNX Runtime | tuned / -O3 |" if args.records else ""
        print("| model | tessel -O3 (ms) | tessel -O0 (ms) | ONNX Runtime (ms) "
              f"| -O3 / ONNX Runtime | -O3 / -O0 |{tuned_head}")
        print("|---|---|---|---|---|---|" + ("---|---|---|" if args.records else ""))
        for name, tessel, unoptimized, anchor, tuned, ranges in rows:
            tuned_cells = (f" {tuned:.2f} | {tuned / anchor:.2f}{ranges[1]} | "
                           f"{tuned / tessel:.2f}{ranges[2]} |" if tuned else "")
            print(f"| {name} | {tessel:.2f} | {unoptimized:.2f} | {anchor:.2f} "
                  f"| {tessel / anchor:.2f}{ranges[0]} | {tessel / unoptimized:.2f} |{tuned_cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
