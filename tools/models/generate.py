"""Generates real-architecture ONNX models with random weights, for tests and benchmarks.

    generate.py NAME -o OUT.onnx          one model
    generate.py --all -d DIR [--force]    every model, as DIR/NAME.onnx, skipping existing files

The layouts follow torchvision (resnet18, resnet50, mobilenetv2, squeezenet) and Hugging Face BERT exported
by torch.onnx (bert), at opset 13 (bert: 14), so the graphs look like the ones users bring.
Weights are seeded: the same command always writes the same file.
"""

import argparse
import math
import os
import sys

import numpy as np
import onnx

from onnx_builder import FLOAT, INT64, OnnxBuilder

# The BatchNormalization that ends a residual branch gets smaller scales (zero_init_residual in
# spirit), so random activations stay moderate through deep stacks of residual Adds.
RESIDUAL_GAMMA_SCALE = 0.2


# ---- ResNet-50 (torchvision resnet50, v1.5: the stride sits on the 3x3 convolution) ----------

RESNET50_STAGES = [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]  # planes, blocks, stride
RESNET_EXPANSION = 4


def resnet_bottleneck(builder, x, scope, in_channels, planes, stride):
    out_channels = planes * RESNET_EXPANSION
    y = builder.conv(x, f"{scope}.conv1", in_channels, planes, 1)
    y = builder.relu(builder.batchnorm(y, f"{scope}.bn1", planes), f"{scope}.relu")
    y = builder.conv(y, f"{scope}.conv2", planes, planes, 3, stride=stride, padding=1)
    y = builder.relu(builder.batchnorm(y, f"{scope}.bn2", planes), f"{scope}.relu")
    y = builder.conv(y, f"{scope}.conv3", planes, out_channels, 1)
    y = builder.batchnorm(y, f"{scope}.bn3", out_channels, gamma_scale=RESIDUAL_GAMMA_SCALE)
    shortcut = x
    if stride != 1 or in_channels != out_channels:
        shortcut = builder.conv(x, f"{scope}.downsample.0", in_channels, out_channels, 1,
                                stride=stride)
        shortcut = builder.batchnorm(shortcut, f"{scope}.downsample.1", out_channels)
    return builder.relu(builder.node("Add", [y, shortcut], scope), f"{scope}.relu")


def resnet_basic_block(builder, x, scope, in_channels, planes, stride):
    """ResNet-18's block: two 3x3 convolutions and the shortcut."""
    y = builder.conv(x, f"{scope}.conv1", in_channels, planes, 3, stride=stride, padding=1)
    y = builder.relu(builder.batchnorm(y, f"{scope}.bn1", planes), f"{scope}.relu")
    y = builder.conv(y, f"{scope}.conv2", planes, planes, 3, padding=1)
    y = builder.batchnorm(y, f"{scope}.bn2", planes, gamma_scale=RESIDUAL_GAMMA_SCALE)
    shortcut = x
    if stride != 1 or in_channels != planes:
        shortcut = builder.conv(x, f"{scope}.downsample.0", in_channels, planes, 1, stride=stride)
        shortcut = builder.batchnorm(shortcut, f"{scope}.downsample.1", planes)
    return builder.relu(builder.node("Add", [y, shortcut], scope), f"{scope}.relu")


def build_resnet(name, stages, block, expansion, seed=0):
    """torchvision's ResNet: stem, four stages of blocks, average pool, classifier."""
    builder = OnnxBuilder(name, seed)
    x = builder.add_input("data", FLOAT, [1, 3, 224, 224])
    x = builder.conv(x, "conv1", 3, 64, 7, stride=2, padding=3)
    x = builder.relu(builder.batchnorm(x, "bn1", 64), "relu")
    x = builder.maxpool(x, "maxpool", 3, 2, padding=1)
    in_channels = 64
    for stage, (planes, blocks, stride) in enumerate(stages, start=1):
        for index in range(blocks):
            x = block(builder, x, f"layer{stage}.{index}", in_channels, planes,
                      stride if index == 0 else 1)
            in_channels = planes * expansion
    x = builder.global_average_pool_flatten(x, "avgpool")
    x = builder.gemm(x, "fc", in_channels, 1000)
    builder.add_output(x, "logits", FLOAT, [1, 1000])
    return builder.build()


def build_resnet50(seed=0):
    return build_resnet("resnet50", RESNET50_STAGES, resnet_bottleneck, RESNET_EXPANSION, seed)


RESNET18_STAGES = [(64, 2, 1), (128, 2, 2), (256, 2, 2), (512, 2, 2)]


def build_resnet18(seed=0):
    return build_resnet("resnet18", RESNET18_STAGES, resnet_basic_block, 1, seed)


# ---- MobileNetV2 (torchvision mobilenet_v2, width 1.0) ----------------------------------------

MOBILENETV2_STAGES = [  # expansion t, channels c, repeats n, first stride s
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
    (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
]


def conv_bn_relu6(builder, x, scope, in_channels, out_channels, kernel, stride=1, groups=1):
    """torchvision's Conv2dNormActivation: children .0 (conv) and .1 (batch norm)."""
    x = builder.conv(x, f"{scope}.0", in_channels, out_channels, kernel, stride=stride,
                     padding=(kernel - 1) // 2, groups=groups)
    x = builder.batchnorm(x, f"{scope}.1", out_channels)
    return builder.relu6(x, f"{scope}.2")


def inverted_residual(builder, x, scope, in_channels, out_channels, stride, expansion):
    hidden = in_channels * expansion
    layer = 0
    y = x
    if expansion != 1:
        y = conv_bn_relu6(builder, y, f"{scope}.conv.{layer}", in_channels, hidden, 1)
        layer += 1
    y = conv_bn_relu6(builder, y, f"{scope}.conv.{layer}", hidden, hidden, 3, stride=stride,
                      groups=hidden)
    y = builder.conv(y, f"{scope}.conv.{layer + 1}", hidden, out_channels, 1)
    use_residual = stride == 1 and in_channels == out_channels
    y = builder.batchnorm(y, f"{scope}.conv.{layer + 2}", out_channels,
                          gamma_scale=RESIDUAL_GAMMA_SCALE if use_residual else 1.0)
    if use_residual:
        y = builder.node("Add", [x, y], scope)
    return y


def build_mobilenetv2(seed=0):
    builder = OnnxBuilder("mobilenetv2", seed)
    x = builder.add_input("data", FLOAT, [1, 3, 224, 224])
    x = conv_bn_relu6(builder, x, "features.0", 3, 32, 3, stride=2)
    in_channels, feature = 32, 1
    for expansion, channels, repeats, stride in MOBILENETV2_STAGES:
        for repeat in range(repeats):
            x = inverted_residual(builder, x, f"features.{feature}", in_channels, channels,
                                  stride if repeat == 0 else 1, expansion)
            in_channels, feature = channels, feature + 1
    x = conv_bn_relu6(builder, x, f"features.{feature}", in_channels, 1280, 1)
    x = builder.global_average_pool_flatten(x, "classifier")
    x = builder.gemm(x, "classifier.1", 1280, 1000)
    builder.add_output(x, "logits", FLOAT, [1, 1000])
    return builder.build()


# ---- SqueezeNet 1.1 (torchvision squeezenet1_1) -----------------------------------------------

SQUEEZENET_FIRES = {  # features index: squeeze, expand (each of the 1x1 and 3x3 branches)
    3: (16, 64), 4: (16, 64), 6: (32, 128), 7: (32, 128),
    9: (48, 192), 10: (48, 192), 11: (64, 256), 12: (64, 256),
}
SQUEEZENET_POOLS = (2, 5, 8)


def fire(builder, x, scope, in_channels, squeeze, expand):
    s = builder.conv(x, f"{scope}.squeeze", in_channels, squeeze, 1, bias=True)
    s = builder.relu(s, f"{scope}.squeeze_activation")
    e1 = builder.conv(s, f"{scope}.expand1x1", squeeze, expand, 1, bias=True)
    e1 = builder.relu(e1, f"{scope}.expand1x1_activation")
    e3 = builder.conv(s, f"{scope}.expand3x3", squeeze, expand, 3, padding=1, bias=True)
    e3 = builder.relu(e3, f"{scope}.expand3x3_activation")
    return builder.node("Concat", [e1, e3], scope, axis=1)


def build_squeezenet(seed=0):
    builder = OnnxBuilder("squeezenet1_1", seed)
    x = builder.add_input("data", FLOAT, [1, 3, 224, 224])
    x = builder.relu(builder.conv(x, "features.0", 3, 64, 3, stride=2, bias=True), "features.1")
    in_channels = 64
    for index in range(2, 13):
        if index in SQUEEZENET_POOLS:
            x = builder.maxpool(x, f"features.{index}", 3, 2, ceil_mode=True)
        else:
            squeeze, expand = SQUEEZENET_FIRES[index]
            x = fire(builder, x, f"features.{index}", in_channels, squeeze, expand)
            in_channels = 2 * expand
    x = builder.conv(x, "classifier.1", in_channels, 1000, 1, bias=True)
    x = builder.relu(x, "classifier.2")
    x = builder.global_average_pool_flatten(x, "classifier.3")
    builder.add_output(x, "logits", FLOAT, [1, 1000])
    return builder.build()


# ---- BERT encoder (Hugging Face BertModel as torch.onnx exports it; BERT-mini sizes) ---------

BERT_VOCAB = 30522
BERT_MAX_POSITIONS = 512
BERT_TOKEN_TYPES = 2
BERT_HIDDEN = 256
BERT_LAYERS = 4
BERT_HEADS = 4
BERT_HEAD_DIM = BERT_HIDDEN // BERT_HEADS
BERT_INTERMEDIATE = 1024
BERT_SEQUENCE = 128
BERT_LAYERNORM_EPSILON = 1e-12
BERT_MASKED_SCORE = -10000.0
# Opset 14, not 13: Reshape-13's shape inference ignores shapes computed by Shape → Gather →
# Concat, Reshape-14's follows them, so expected_stats can size the attention MatMuls. The
# conventions this model is written in (Unsqueeze axes as an input, ReduceMean axes as an
# attribute) are the same in both.
BERT_OPSET = 14


def bert_embeddings(builder, input_ids):
    scope = "embeddings"

    def embedding(rows, name):
        return builder.initializer(f"{scope}.{name}.weight",
                                   builder.normal((rows, BERT_HIDDEN), 1.0))

    word_table = embedding(BERT_VOCAB, "word_embeddings")
    position_table = embedding(BERT_MAX_POSITIONS, "position_embeddings")
    token_type_table = embedding(BERT_TOKEN_TYPES, "token_type_embeddings")
    # BertModel keeps position ids and (all-zero) token type ids as buffers, sliced to the length.
    position_ids = builder.initializer(
        f"{scope}.position_ids", np.arange(BERT_MAX_POSITIONS, dtype=np.int64)[None, :])
    token_type_ids = builder.initializer(
        f"{scope}.token_type_ids", np.zeros((1, BERT_MAX_POSITIONS), np.int64))

    def first_positions(buffer):
        # Constant bounds, as torch.onnx folds them for a fixed sequence length; ONNX shape
        # inference could not see through bounds computed from Shape.
        bounds = [builder.constant(scope, np.array([value], np.int64))
                  for value in (0, BERT_SEQUENCE, 1, 1)]  # starts, ends, axes, steps
        return builder.node("Slice", [buffer, *bounds], scope)

    words = builder.node("Gather", [word_table, input_ids], scope, axis=0)
    token_types = builder.node("Gather", [token_type_table, first_positions(token_type_ids)],
                               scope, axis=0)
    positions = builder.node("Gather", [position_table, first_positions(position_ids)], scope,
                             axis=0)
    summed = builder.node("Add", [builder.node("Add", [words, token_types], scope), positions],
                          scope)
    return builder.layernorm(summed, f"{scope}.LayerNorm", BERT_HIDDEN, BERT_LAYERNORM_EPSILON)


def bert_additive_mask(builder, attention_mask):
    """attention_mask[:, None, None, :] turned into 0 (attend) or a large negative score."""
    scope = "extended_attention_mask"
    mask = builder.node("Unsqueeze", [attention_mask,
                                      builder.constant(scope, np.array([1], np.int64))], scope)
    mask = builder.node("Unsqueeze", [mask, builder.constant(scope, np.array([2], np.int64))],
                        scope)
    mask = builder.node("Cast", [mask], scope, to=FLOAT)
    inverted = builder.node("Sub", [builder.scalar(scope, np.float32(1.0)), mask], scope)
    return builder.node("Mul", [inverted, builder.scalar(scope, np.float32(BERT_MASKED_SCORE))],
                        scope)


def reshape_to(builder, x, scope, trailing_dims):
    """x.view(x.size(0), x.size(1), *trailing_dims), with the sizes read at run time."""
    shape = [builder.dim_of(x, scope, 0), builder.dim_of(x, scope, 1)]
    shape += [builder.constant(scope, np.array([dim], np.int64)) for dim in trailing_dims]
    target = builder.node("Concat", shape, scope, axis=0)
    return builder.node("Reshape", [x, target], scope)


def bert_self_attention(builder, hidden, mask, scope):
    def heads(name, perm):
        projected = builder.linear(hidden, f"{scope}.{name}", BERT_HIDDEN, BERT_HIDDEN)
        split = reshape_to(builder, projected, scope, [BERT_HEADS, BERT_HEAD_DIM])
        return builder.node("Transpose", [split], scope, perm=perm)

    query = heads("query", [0, 2, 1, 3])
    key_transposed = heads("key", [0, 2, 3, 1])  # torch.onnx fuses permute + transpose(-1, -2)
    value = heads("value", [0, 2, 1, 3])
    scores = builder.node("MatMul", [query, key_transposed], scope)
    scores = builder.node(
        "Div", [scores, builder.scalar(scope, np.float32(math.sqrt(BERT_HEAD_DIM)))], scope)
    scores = builder.node("Add", [scores, mask], scope)
    probabilities = builder.node("Softmax", [scores], scope, axis=-1)
    context = builder.node("MatMul", [probabilities, value], scope)
    context = builder.node("Transpose", [context], scope, perm=[0, 2, 1, 3])
    return reshape_to(builder, context, scope, [BERT_HIDDEN])


def bert_layer(builder, hidden, mask, scope):
    context = bert_self_attention(builder, hidden, mask, f"{scope}.attention.self")
    attended = builder.linear(context, f"{scope}.attention.output.dense", BERT_HIDDEN,
                              BERT_HIDDEN)
    attended = builder.node("Add", [attended, hidden], f"{scope}.attention.output")
    hidden = builder.layernorm(attended, f"{scope}.attention.output.LayerNorm", BERT_HIDDEN,
                               BERT_LAYERNORM_EPSILON)
    intermediate = builder.linear(hidden, f"{scope}.intermediate.dense", BERT_HIDDEN,
                                  BERT_INTERMEDIATE)
    intermediate = builder.gelu(intermediate, f"{scope}.intermediate.intermediate_act_fn")
    output = builder.linear(intermediate, f"{scope}.output.dense", BERT_INTERMEDIATE,
                            BERT_HIDDEN)
    output = builder.node("Add", [output, hidden], f"{scope}.output")
    return builder.layernorm(output, f"{scope}.output.LayerNorm", BERT_HIDDEN,
                             BERT_LAYERNORM_EPSILON)


def build_bert(seed=0):
    builder = OnnxBuilder("bert", seed, opset=BERT_OPSET)
    input_ids = builder.add_input("input_ids", INT64, [1, BERT_SEQUENCE])
    attention_mask = builder.add_input("attention_mask", INT64, [1, BERT_SEQUENCE])
    hidden = bert_embeddings(builder, input_ids)
    mask = bert_additive_mask(builder, attention_mask)
    for layer in range(BERT_LAYERS):
        hidden = bert_layer(builder, hidden, mask, f"encoder.layer.{layer}")
    builder.add_output(hidden, "last_hidden_state", FLOAT, [1, BERT_SEQUENCE, BERT_HIDDEN])
    return builder.build()


MODELS = {
    "resnet18": build_resnet18,
    "resnet50": build_resnet50,
    "mobilenetv2": build_mobilenetv2,
    "bert": build_bert,
    "squeezenet": build_squeezenet,
}


# ---- statistics -------------------------------------------------------------------------------

def _static_shapes(model):
    """Every tensor's shape, from ONNX shape inference (with constant shape data propagated)."""
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    graph = inferred.graph
    shapes = {tensor.name: list(tensor.dims) for tensor in graph.initializer}
    for value in list(graph.input) + list(graph.value_info) + list(graph.output):
        tensor_type = value.type.tensor_type
        dims = tensor_type.shape.dim
        if tensor_type.HasField("shape") and all(dim.HasField("dim_value") for dim in dims):
            shapes[value.name] = [dim.dim_value for dim in dims]
    return shapes


def _matmul_macs(a, b):
    """numpy.matmul semantics: 1-D operands gain and lose a unit axis, batch axes broadcast."""
    rows = a[-2] if len(a) > 1 else 1
    columns = b[-1] if len(b) > 1 else 1
    batch = np.broadcast_shapes(tuple(a[:-2]), tuple(b[:-2]))
    return math.prod(batch) * rows * columns * a[-1]


def _node_macs(node, shapes):
    def shape(name):
        if name not in shapes:
            raise ValueError(f"{node.op_type} node '{node.name}': no static shape for '{name}'")
        return shapes[name]

    if node.op_type == "Conv":
        # Each output element reads in_channels/group × kernel elements: the weight's [1:] axes.
        return math.prod(shape(node.output[0])) * math.prod(shape(node.input[1])[1:])
    if node.op_type == "ConvTranspose":
        # Each input element scatters into out_channels/group × kernel outputs.
        return math.prod(shape(node.input[0])) * math.prod(shape(node.input[1])[1:])
    if node.op_type == "MatMul":
        return _matmul_macs(shape(node.input[0]), shape(node.input[1]))
    if node.op_type == "Gemm":
        trans_a = next((attr.i for attr in node.attribute if attr.name == "transA"), 0)
        a = shape(node.input[0])
        return math.prod(shape(node.output[0])) * (a[0] if trans_a else a[1])
    return 0


def expected_stats(model):
    """{"params": elements of all graph initializers (weights, BatchNorm running statistics,
    buffers such as BERT's position ids; Constant nodes are not counted),
    "macs": multiply-accumulates of Conv, ConvTranspose, MatMul and Gemm}."""
    params = sum(math.prod(tensor.dims) for tensor in model.graph.initializer)
    shapes = _static_shapes(model)
    macs = sum(_node_macs(node, shapes) for node in model.graph.node)
    return {"params": params, "macs": macs}


# ---- command line -----------------------------------------------------------------------------

def write_model(name, path):
    model = MODELS[name]()
    onnx.checker.check_model(model, full_check=True)
    stats = expected_stats(model)
    # Written beside the target and renamed, so an interrupted run leaves no truncated model.
    partial = f"{path}.partial"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    onnx.save(model, partial)
    os.replace(partial, path)
    print(f"{name}: {path} ({os.path.getsize(path) / 1e6:.1f} MB), "
          f"params {stats['params']:,}, MACs {stats['macs']:,} ({stats['macs'] / 1e9:.3f} G)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", nargs="?", choices=sorted(MODELS), help="the model to write")
    parser.add_argument("-o", "--output", help="where to write NAME's model")
    parser.add_argument("--all", action="store_true", help="write every model into -d DIR")
    parser.add_argument("-d", "--directory", help="folder for --all (created if missing)")
    parser.add_argument("--force", action="store_true", help="with --all, overwrite existing")
    args = parser.parse_args(argv)

    if args.all:
        if args.name or args.output or not args.directory:
            parser.error("--all takes -d DIR and no NAME or -o")
        os.makedirs(args.directory, exist_ok=True)
        for name in MODELS:
            path = os.path.join(args.directory, f"{name}.onnx")
            if os.path.exists(path) and not args.force:
                print(f"{name}: {path} exists, skipped (--force rewrites it)")
            else:
                write_model(name, path)
    else:
        if not args.name or not args.output or args.directory or args.force:
            parser.error("give NAME -o OUT.onnx, or --all -d DIR")
        write_model(args.name, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
