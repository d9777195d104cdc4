"""Checks `tessel inspect --stats --json` on real-architecture models against what ONNX says,
and what the graph passes make of them.

    test_models.py --tessel PATH/TO/tessel --models-dir DIR

Models missing from DIR are generated first (tools/models/generate.py). For each model the JSON
tessel prints must hold: `params`, the element count of all initializers; `macs`, the
multiply-accumulates of Conv, ConvTranspose, MatMul and Gemm (for ResNet-50 also within 1% of
the published 4.09e9); `inputs` and `outputs`, the graph's, as {"name", "dtype", "shape"}; `ops`,
a non-empty object of operator names (tessel's own) to positive counts. A copy of MobileNetV2
with its weights stored as external data must read as the same graph, constant for constant.
Fusion (`kernels`, and `inspect --ir fused`): ResNet-50 compiles to at most 60 kernels, with no
BatchNorm left and every ReLU and residual add inside a convolution's kernel; in the BERT-style
encoder each LayerNorm spans at most 2 kernels and each GELU runs in its matmul's kernel.
Exit status 0 when every check passes.
"""

import argparse
import json
import math
import pathlib
import re
import subprocess
import sys

import onnx
from onnx import TensorProto

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "tools" / "models"))
import generate  # noqa: E402  (found through the path set just above)

MODELS = ("resnet50", "mobilenetv2", "bert")
RESNET50_PUBLISHED_MACS = 4.09e9
INSPECT_TIMEOUT_SECONDS = 600

DTYPE_NAMES = {
    TensorProto.FLOAT: "f32", TensorProto.INT64: "i64", TensorProto.FLOAT16: "f16",
    TensorProto.BFLOAT16: "bf16", TensorProto.DOUBLE: "f64", TensorProto.INT8: "i8",
    TensorProto.UINT8: "u8", TensorProto.INT16: "i16", TensorProto.UINT16: "u16",
    TensorProto.INT32: "i32", TensorProto.UINT32: "u32", TensorProto.UINT64: "u64",
    TensorProto.BOOL: "bool",
}


def describe_values(values):
    """Graph inputs or outputs in the form tessel prints them."""
    return [{"name": value.name,
             "dtype": DTYPE_NAMES[value.type.tensor_type.elem_type],
             "shape": [dim.dim_value for dim in value.type.tensor_type.shape.dim]}
            for value in values]


class Checks:
    """Prints every check as it runs and remembers the failures."""

    def __init__(self):
        self.failures = []

    def expect(self, label, passed, detail):
        print(f"  {'ok  ' if passed else 'FAIL'} {label}: {detail}")
        if not passed:
            self.failures.append(label)


def run_inspect(tessel, model_path, checks, label):
    """Returns the JSON tessel printed, or None after recording why there is none."""
    command = [tessel, "inspect", "--stats", "--json", str(model_path)]
    print(f"  $ {' '.join(command)}")
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                timeout=INSPECT_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as error:
        checks.expect(f"{label} runs", False, str(error))
        return None
    if result.returncode != 0:
        checks.expect(f"{label} runs", False,
                      f"exit status {result.returncode}; stderr:\n{result.stderr.strip()}")
        return None
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        checks.expect(f"{label} prints JSON", False,
                      f"{error}; stdout begins: {result.stdout[:500]!r}")
        return None
    if not isinstance(report, dict):
        checks.expect(f"{label} prints a JSON object", False, f"got {type(report).__name__}")
        return None
    return report


def check_model(name, model_path, tessel, checks):
    print(f"{name}: {model_path}")
    model = onnx.load(str(model_path))
    expected = generate.expected_stats(model)
    report = run_inspect(tessel, model_path, checks, name)
    if report is None:
        return

    checks.expect(f"{name} params", report.get("params") == expected["params"],
                  f"tessel {report.get('params')}, initializer elements {expected['params']}")
    macs = report.get("macs")
    checks.expect(f"{name} macs", macs == expected["macs"],
                  f"tessel {macs}, expected {expected['macs']}")
    if name == "resnet50" and isinstance(macs, int):
        checks.expect(f"{name} macs near published",
                      math.isclose(macs, RESNET50_PUBLISHED_MACS, rel_tol=0.01),
                      f"{macs / 1e9:.3f} G against {RESNET50_PUBLISHED_MACS / 1e9:.2f} G (1%)")

    for field, values in (("inputs", model.graph.input), ("outputs", model.graph.output)):
        wanted = describe_values(values)
        checks.expect(f"{name} {field}", report.get(field) == wanted,
                      f"tessel {json.dumps(report.get(field))}, model {json.dumps(wanted)}")

    ops = report.get("ops")
    counts_valid = isinstance(ops, dict) and len(ops) > 0 and all(
        isinstance(count, int) and not isinstance(count, bool) and count > 0
        for count in ops.values())
    checks.expect(f"{name} ops", counts_valid, json.dumps(ops))
    check_fusion(name, model_path, tessel, report, checks)


def fused_kernels(tessel, model_path):
    """The kernels of `inspect --ir fused`: a list of [(operator, node name)] per kernel."""
    result = subprocess.run([tessel, "inspect", "--ir", "fused", str(model_path)],
                            capture_output=True, text=True, timeout=INSPECT_TIMEOUT_SECONDS)
    kernels, current = [], None
    for line in result.stdout.splitlines():
        if re.match(r"  kernel \d+ \{$", line):
            current = []
            kernels.append(current)
        elif line == "  }":
            current = None
        elif current is not None:
            match = re.search(r" = (\w+)\(.*?(?: @(\S+))?$", line)
            current.append((match.group(1), match.group(2) or ""))
    return kernels


def check_fusion(name, model_path, tessel, report, checks):
    kernels = fused_kernels(tessel, model_path)
    checks.expect(f"{name} kernels", report.get("kernels") == len(kernels) > 0,
                  f"--stats says {report.get('kernels')}, --ir fused shows {len(kernels)}")
    ops_of = [{op for op, _ in kernel} for kernel in kernels]
    if name == "resnet50":
        checks.expect(f"{name} at most 60 kernels", len(kernels) <= 60, f"{len(kernels)} kernels")
        checks.expect(f"{name} BatchNorm folded", not any("batch_norm" in ops for ops in ops_of),
                      "no batch_norm after the passes")
        stray = [ops for ops in ops_of if ops & {"relu", "add"} and "conv" not in ops]
        checks.expect(f"{name} ReLU and residual adds fused", not stray,
                      f"kernels with relu or add but no conv: {stray[:3]}")
        # The epilogue runs in the register tile's write-back: no kernel keeps a whole
        # convolution output (the buffer `sum`) in memory.
        tir = subprocess.run([tessel, "inspect", "--ir", "tir", str(model_path)],
                             capture_output=True, text=True, timeout=INSPECT_TIMEOUT_SECONDS)
        scratch = re.findall(r"alloc %sum\w*: f32\[[^]]*\] \{", tir.stdout)
        checks.expect(f"{name} epilogues in the write-back",
                      tir.returncode == 0 and tir.stdout.count("func ") == len(kernels)
                      and not scratch,
                      f"{tir.stdout.count('func ')} kernels in TIR; whole outputs kept: {scratch[:3]}")
    if name == "bert":
        spans = {}
        for index, kernel in enumerate(kernels):
            for op, node in kernel:
                if "LayerNorm/" in node:
                    spans.setdefault(node.split("LayerNorm/")[0], set()).add(index)
        widest = max((len(span) for span in spans.values()), default=0)
        checks.expect(f"{name} LayerNorm in at most 2 kernels", spans and widest <= 2,
                      f"{len(spans)} LayerNorms, the widest spans {widest} kernels")
        gelus = [ops for kernel, ops in zip(kernels, ops_of)
                 if any("act_fn" in node for _, node in kernel)]
        checks.expect(f"{name} GELU fused into its matmul",
                      gelus and all("matmul" in ops for ops in gelus),
                      f"{len(gelus)} GELU kernels, all with their matmul")


def inspect_text(tessel, model_path):
    result = subprocess.run([tessel, "inspect", str(model_path)], capture_output=True, text=True,
                            timeout=INSPECT_TIMEOUT_SECONDS)
    return result.returncode, result.stdout, result.stderr


def check_external_data(models_dir, tessel, checks):
    """The same model with its weights beside it reads as the same graph text (same hashes)."""
    source = models_dir / "mobilenetv2.onnx"
    folder = models_dir / "external"
    folder.mkdir(exist_ok=True)
    copy = folder / "mobilenetv2.onnx"
    model = onnx.load(str(source))
    onnx.save_model(model, str(copy), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="mobilenetv2.weights", size_threshold=64)
    print(f"external data: {copy} (weights in {folder / 'mobilenetv2.weights'})")
    inline_code, inline_text, _ = inspect_text(tessel, source)
    external_code, external_text, stderr = inspect_text(tessel, copy)
    checks.expect("external data reads", external_code == 0, stderr.strip() or "exit 0")
    checks.expect("external data gives the same graph",
                  inline_code == 0 and external_text.replace("graph \"mobilenetv2\"", "") ==
                  inline_text.replace("graph \"mobilenetv2\"", ""),
                  f"{len(external_text)} characters of IR against {len(inline_text)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tessel", required=True, help="the tessel binary")
    parser.add_argument("--models-dir", required=True, type=pathlib.Path,
                        help="where the models are, or are generated if missing")
    args = parser.parse_args()

    args.models_dir.mkdir(parents=True, exist_ok=True)
    checks = Checks()
    for name in MODELS:
        model_path = args.models_dir / f"{name}.onnx"
        if not model_path.exists():
            generate.write_model(name, str(model_path))
        check_model(name, model_path, args.tessel, checks)
    check_external_data(args.models_dir, args.tessel, checks)

    if checks.failures:
        print(f"FAILED: {len(checks.failures)} check(s): {', '.join(checks.failures)}")
        return 1
    print("all model checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
