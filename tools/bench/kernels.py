"""GFLOP/s of single kernels: tessel's default schedules against OpenBLAS (through numpy), same run.

    kernels.py --tessel BUILD/tools/tessel [--threads N] [--min-time SECONDS]
               [--gemm 512,1024,2048] [--resnet50-convs] [--markdown]

GEMM: C = A·B of n×n f32 matrices, B a constant (as a layer's weight), in a one-node ONNX model
timed by `tessel bench`, against numpy's matmul. ResNet-50's convolutions: each distinct layer
of the generated ResNet-50 (tools/models/generate.py) as a one-node model, timed by the kernel's
own share in `tessel bench --profile` (without the layout transforms a one-layer model gets at
its boundaries), against OpenBLAS on the same convolution as im2col and one GEMM (the im2col
copy not counted). numpy's OpenBLAS runs N threads (OPENBLAS_NUM_THREADS, set before numpy loads);
the BLAS and its thread count are printed first.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time


def parse_arguments():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessel", required=True, type=pathlib.Path)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--min-time", type=float, default=2.0)
    parser.add_argument("--gemm", default="512,1024,2048",
                        help="comma-separated sizes n of the n×n×n products ('' for none)")
    parser.add_argument("--resnet50-convs", action="store_true",
                        help="also every distinct convolution of ResNet-50")
    parser.add_argument("--markdown", action="store_true")
    return parser.parse_args()


ARGS = parse_arguments()
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread count is set)
import onnx  # noqa: E402
from timing import median_seconds  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "tools" / "models"))
import generate  # noqa: E402


def blas_description():
    config = np.show_config(mode="dicts")
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


def numpy_seconds(function):
    return median_seconds(function, ARGS.min_time)


def tessel_seconds(model, kernel_part):
    """Median seconds of the model under `tessel bench`; with kernel_part, the summed time of the
    kernels whose names contain it (from --profile)."""
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "model.onnx"
        onnx.save(model, str(path))
        command = [str(ARGS.tessel), "bench", str(path), "--json", "--threads", str(ARGS.threads),
                   "--min-time", str(ARGS.min_time), "--no-records"]
        if kernel_part:
            command.append("--profile")
        result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip())
    report = json.loads(result.stdout)
    if not kernel_part:
        return report["median_ms"] / 1e3
    return sum(k["ms"] for k in report["kernels"] if kernel_part in k["kernel"]) / 1e3


def one_node_model(node, inputs, initializers, output):
    graph = helper.make_graph([node], "kernel", inputs, [output], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def gemm_row(n, rng):
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    model = one_node_model(
        helper.make_node("MatMul", ["a", "b"], ["c"]),
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])],
        [numpy_helper.from_array(b, "b")],
        helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n]))
    flops = 2.0 * n ** 3
    blas = numpy_seconds(lambda: a @ b)
    tessel = tessel_seconds(model, None)
    return f"gemm {n}x{n}x{n}", flops / tessel / 1e9, flops / blas / 1e9


def resnet50_convs():
    """The distinct convolutions of the generated ResNet-50: (input shape, weight shape,
    stride, pad), in the order they first run."""
    path = REPOSITORY / "models" / "resnet50.onnx"
    if not path.exists():
        generate.write_model("resnet50", str(path))
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)))
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in list(model.graph.value_info) + list(model.graph.input)}
    weights = {t.name: list(t.dims) for t in model.graph.initializer}
    layers = []
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        layer = (tuple(shapes[node.input[0]]), tuple(weights[node.input[1]]),
                 attributes.get("strides", [1, 1])[0], attributes.get("pads", [0, 0, 0, 0])[0])
        if layer not in layers:
            layers.append(layer)
    return layers


def conv_row(layer, rng):
    (n, c, h, w), (m, _, kh, kw), stride, pad = layer
    oh, ow = (h + 2 * pad - kh) // stride + 1, (w + 2 * pad - kw) // stride + 1
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    weight = rng.standard_normal((m, c, kh, kw)).astype(np.float32)
    model = one_node_model(
        helper.make_node("Conv", ["x", "w"], ["y"], strides=[stride, stride],
                         pads=[pad] * 4, kernel_shape=[kh, kw]),
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n, c, h, w])],
        [numpy_helper.from_array(weight, "w")],
        helper.make_tensor_value_info("y", TensorProto.FLOAT, [n, m, oh, ow]))
    # OpenBLAS: the convolution as one GEMM of the weight [M, C·kh·kw] and the im2col matrix.
    padded = np.pad(x[0], ((0, 0), (pad, pad), (pad, pad)))
    columns = np.empty((c, kh, kw, oh, ow), np.float32)
    for i in range(kh):
        for j in range(kw):
            columns[:, i, j] = padded[:, i:i + stride * oh:stride, j:j + stride * ow:stride]
    columns = columns.reshape(c * kh * kw, oh * ow)
    matrix = weight.reshape(m, -1)
    flops = 2.0 * m * c * kh * kw * oh * ow
    blas = numpy_seconds(lambda: matrix @ columns)
    tessel = tessel_seconds(model, "conv")
    name = f"conv {c}x{h}x{w} -> {m} k{kh} s{stride}"
    return name, flops / tessel / 1e9, flops / blas / 1e9


def main():
    rng = np.random.default_rng(0)
    print(f"numpy's BLAS: {blas_description()}, OPENBLAS_NUM_THREADS={ARGS.threads}; "
          f"tessel --threads {ARGS.threads}", flush=True)
    rows = []
    for size in [int(s) for s in ARGS.gemm.split(",") if s]:
        rows.append(gemm_row(size, rng))
        print(f"{rows[-1][0]}: tessel {rows[-1][1]:.1f} GFLOP/s, OpenBLAS {rows[-1][2]:.1f} "
              f"GFLOP/s, ratio {rows[-1][1] / rows[-1][2]:.2f}", flush=True)
    if ARGS.resnet50_convs:
        for layer in resnet50_convs():
            rows.append(conv_row(layer, rng))
            print(f"{rows[-1][0]}: tessel {rows[-1][1]:.1f} GFLOP/s, OpenBLAS {rows[-1][2]:.1f} "
                  f"GFLOP/s, ratio {rows[-1][1] / rows[-1][2]:.2f}", flush=True)
    if ARGS.markdown:
        print("\n| kernel | tessel (GFLOP/s) | OpenBLAS (GFLOP/s) | tessel / OpenBLAS |")
        print("|---|---|---|---|")
        for name, tessel, blas in rows:
            print(f"| {name} | {tessel:.1f} | {blas:.1f} | {tessel / blas:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
