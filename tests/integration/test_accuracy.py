"""tessel computes what ONNX Runtime computes on real architectures.

    test_accuracy.py --tessel BUILD/tools/tessel --models-dir DIR --work-dir DIR [MODEL...]

For ResNet-18, ResNet-50, MobileNetV2 and the BERT-style encoder (generated into DIR when
missing), runs the model with `tessel run` at every opt level (-O0 to -O3: the graph passes
must not change what a model computes) and with ONNX Runtime on the same seeded random inputs,
and checks every output: relative L2 error ||tessel - ort|| / ||ort|| at most 1e-4.
"""

import argparse
import pathlib
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "tools" / "models"))
import generate  # noqa: E402

MODELS = ("resnet18", "resnet50", "mobilenetv2", "bert")
TOLERANCE = 1e-4
NUMPY_DTYPES = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.INT64: np.int64}


def random_inputs(model, rng):
    """Seeded inputs: normal floats; token ids within the vocabulary and a mask of ones with
    the last quarter masked out for integer inputs."""
    inputs = {}
    for value in model.graph.input:
        tensor_type = value.type.tensor_type
        shape = [d.dim_value for d in tensor_type.shape.dim]
        dtype = NUMPY_DTYPES[tensor_type.elem_type]
        if dtype == np.float32:
            inputs[value.name] = rng.standard_normal(shape).astype(np.float32)
        elif "mask" in value.name:
            mask = np.ones(shape, np.int64)
            mask[..., shape[-1] * 3 // 4:] = 0
            inputs[value.name] = mask
        else:
            inputs[value.name] = rng.integers(0, 30000, shape).astype(np.int64)
    return inputs


def check(name, models_dir, work_dir, tessel, opt_levels):
    path = models_dir / f"{name}.onnx"
    if not path.exists():
        generate.write_model(name, str(path))
    model = onnx.load(str(path), load_external_data=False)
    inputs = random_inputs(model, np.random.default_rng(7))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = session.run(None, inputs)
    ok = True
    for level in opt_levels:
        out_dir = work_dir / name / f"O{level}"
        out_dir.mkdir(parents=True, exist_ok=True)
        command = [str(tessel), "run", str(path), "--output-dir", str(out_dir), f"-O{level}"]
        for input_name, array in inputs.items():
            file = out_dir / f"input_{input_name}.npy"
            np.save(file, array)
            command += ["--input", f"{input_name}={file}"]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"  FAIL {name} -O{level}: tessel run failed: {result.stderr.strip()[:500]}")
            ok = False
            continue
        for value, reference in zip(model.graph.output, expected):
            actual = np.load(out_dir / f"{value.name}.npy")
            error = (np.linalg.norm(actual.astype(np.float64) - reference)
                     / max(np.linalg.norm(reference), 1e-30))
            passed = actual.shape == reference.shape and error <= TOLERANCE
            print(f"  {'ok  ' if passed else 'FAIL'} {name} -O{level} output {value.name}: "
                  f"relative L2 error {error:.2e} (limit {TOLERANCE:.0e})")
            ok &= passed
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessel", required=True, type=pathlib.Path)
    parser.add_argument("--models-dir", required=True, type=pathlib.Path)
    parser.add_argument("--work-dir", required=True, type=pathlib.Path)
    parser.add_argument("--opt-levels", default="0,1,2,3",
                        help="comma-separated opt levels to run at (default: all)")
    parser.add_argument("models", nargs="*", default=MODELS)
    args = parser.parse_args()
    args.models_dir.mkdir(parents=True, exist_ok=True)
    levels = [int(level) for level in args.opt_levels.split(",")]
    results = [check(name, args.models_dir, args.work_dir, args.tessel, levels)
               for name in args.models]
    print("all outputs match ONNX Runtime" if all(results) else "some outputs differ")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
