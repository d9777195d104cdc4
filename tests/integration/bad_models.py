"""Bad input must get a clear message and exit status 2: never a crash, a hang or an internal
error. Feeds `tessel inspect` truncated and bit-flipped copies of real models, and models made
wrong on purpose (a tensor of the wrong size, a dangling input, shapes that do not fit, sizes
whose product overflows, an unsupported operator).

    bad_models.py --tessel BUILD/tools/tessel --work-dir DIR [--models-dir DIR]
"""

import argparse
import os
import random
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ONNX_TESTS = os.path.join(ROOT, "..", "shared", "onnx-tests")
TIME_LIMIT_SECONDS = 60

failures = []


def inspect(tessel, path):
    try:
        result = subprocess.run([tessel, "inspect", "--stats", path], capture_output=True,
                                timeout=TIME_LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        return None, "", f"hung for more than {TIME_LIMIT_SECONDS} s"
    stderr = result.stderr.decode("utf-8", errors="strict") if valid_utf8(result.stderr) else None
    if stderr is None:
        failures.append(f"{path}: the message is not valid UTF-8: {result.stderr[:200]!r}")
        stderr = result.stderr.decode("utf-8", errors="replace")
    return result.returncode, result.stdout, stderr


def valid_utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def expect_clean_outcome(tessel, path, label):
    """Success, or exit 2 with a message naming the file; nothing else."""
    code, _, stderr = inspect(tessel, path)
    if code is None or code < 0 or code == 1 or code not in (0, 2):
        failures.append(f"{label}: exit {code}: {stderr.strip()[:300]}")
        return code
    if code == 2 and (path not in stderr or "tessel: error:" not in stderr):
        failures.append(f"{label}: the message does not name the file: {stderr.strip()[:300]}")
    return code


def expect_error(tessel, path, label, *fragments):
    code, _, stderr = inspect(tessel, path)
    message = stderr.strip()
    if code != 2:
        failures.append(f"{label}: expected exit 2, got {code}: {message[:300]}")
    for fragment in (path,) + fragments:
        if fragment not in message:
            failures.append(f"{label}: message lacks '{fragment}': {message[:300]}")
    print(f"  {label}: {message[:200]}")


def damaged_copies(tessel, source, work_dir, rng):
    data = open(source, "rb").read()
    name = os.path.basename(source)
    outcomes = {0: 0, 2: 0}
    cuts = sorted({0, 1, 2, 7, 64, 1000, len(data) // 4, len(data) // 2, len(data) - 1})
    variants = [(f"truncated at {cut}", data[:cut]) for cut in cuts if cut < len(data)]
    for index in range(40):
        flipped = bytearray(data)
        # Half the flips land in the first kilobytes, where the structure is.
        limit = min(len(data), 4096) if index % 2 == 0 else len(data)
        position = rng.randrange(limit)
        flipped[position] ^= 1 << rng.randrange(8)
        variants.append((f"bit flipped at {position}", bytes(flipped)))
    for index in range(10):
        smashed = bytearray(data)
        position = rng.randrange(min(len(data), 4096))
        smashed[position:position + 8] = b"\xff" * 8
        variants.append((f"bytes overwritten at {position}", bytes(smashed)))
    for label, content in variants:
        path = os.path.join(work_dir, f"damaged-{name}")
        with open(path, "wb") as out:
            out.write(content)
        code = expect_clean_outcome(tessel, path, f"{name} {label}")
        if code in outcomes:
            outcomes[code] += 1
    print(f"  {name}: {len(variants)} damaged copies: {outcomes[0]} still read, "
          f"{outcomes[2]} refused with a message")


def save(model, work_dir, name):
    path = os.path.join(work_dir, name)
    with open(path, "wb") as out:
        out.write(model.SerializeToString())
    return path


def simple_model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "bad", inputs, outputs, list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def broken_models(tessel, work_dir):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])

    weight = numpy_helper.from_array(np.zeros((3, 3), np.float32), "w")
    weight.raw_data = weight.raw_data[:20]  # 20 bytes for a 36-byte tensor
    path = save(simple_model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [x], [y],
                             [weight]), work_dir, "wrong_size.onnx")
    expect_error(tessel, path, "wrong tensor size", "initializer 'w'", "holds 20")

    path = save(simple_model([helper.make_node("Relu", ["nowhere"], ["y"], name="act")], [x], [y]),
                work_dir, "dangling.onnx")
    expect_error(tessel, path, "dangling input", "node 'act' (Relu", "'nowhere'")

    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [4])
    path = save(simple_model([helper.make_node("Add", ["x", "z"], ["y"], name="sum")], [x, z], [y]),
                work_dir, "inconsistent.onnx")
    expect_error(tessel, path, "inconsistent shapes", "node 'sum' (Add, ai.onnx opset 17)",
                 "do not broadcast")

    huge = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1 << 31, 1 << 31, 1 << 31])
    path = save(simple_model([helper.make_node("Relu", ["x"], ["y"])], [huge], [y]),
                work_dir, "overflow.onnx")
    expect_error(tessel, path, "sizes that overflow", "graph input 'x'", "too large")

    big = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20])
    path = save(simple_model([helper.make_node("MatMul", ["x", "w"], ["y"])], [x], [y], [big]),
                work_dir, "absurd_tensor.onnx")
    expect_error(tessel, path, "absurd tensor", "initializer 'w'")

    path = save(simple_model([helper.make_node("Frobnicate", ["x"], ["y"], name="f",
                                                domain="com.example")], [x], [y]),
                work_dir, "unknown_domain.onnx")
    expect_error(tessel, path, "operator of another domain",
                 "node 'f' (Frobnicate, com.example, not imported)", "not supported")

    path = save(simple_model([helper.make_node("LSTM", ["x"], ["y"], name="rnn")], [x], [y]),
                work_dir, "refused.onnx")
    expect_error(tessel, path, "operator refused by design", "node 'rnn' (LSTM, ai.onnx opset 17)",
                 "not supported")

    path = save(simple_model([helper.make_node("Reshape", ["x", "shape"], ["y"], name="r")],
                             [x, helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
                             [y]), work_dir, "shape_input.onnx")
    expect_error(tessel, path, "shape given as an input", "node 'r' (Reshape", "--bind shape=")

    def external(location, length):
        tensor = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[3, 3],
                             data_location=TensorProto.EXTERNAL)
        for key, value in (("location", location), ("length", str(length))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
        return simple_model([helper.make_node("MatMul", ["x", "w"], ["y"])], [x], [y], [tensor])

    path = save(external("../../etc/passwd", 36), work_dir, "escaping.onnx")
    expect_error(tessel, path, "external data outside the folder", "initializer 'w'",
                 "not a relative path inside the model's folder")
    with open(os.path.join(work_dir, "short.weights"), "wb") as out:
        out.write(b"\0" * 20)
    path = save(external("short.weights", 36), work_dir, "short_external.onnx")
    expect_error(tessel, path, "external data too short", "initializer 'w'", "shorter than")

    missing = os.path.join(work_dir, "does-not-exist.onnx")
    expect_error(tessel, missing, "missing file", "cannot open")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tessel", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--models-dir")
    args = parser.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    rng = random.Random(2026)
    sources = [os.path.join(ONNX_TESTS, "node", case, "model.onnx")
               for case in ("test_conv_with_strides_padding", "test_reshape_negative_dim",
                            "test_layer_normalization_4d_axis0_expanded")]
    sources.append(os.path.join(ONNX_TESTS, "light", "light_squeezenet.onnx"))
    if args.models_dir and os.path.exists(os.path.join(args.models_dir, "squeezenet.onnx")):
        sources.append(os.path.join(args.models_dir, "squeezenet.onnx"))
    print("damaged models:")
    for source in sources:
        damaged_copies(args.tessel, source, args.work_dir, rng)
    print("models wrong on purpose:")
    broken_models(args.tessel, args.work_dir)
    if failures:
        print(f"\n{len(failures)} problems:")
        for failure in failures:
            print(f"  {failure}")
        sys.exit(1)
    print("all bad inputs were refused cleanly")


if __name__ == "__main__":
    main()
