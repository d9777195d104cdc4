"""Builds ONNX graphs node by node, with seeded random weights, for the model generators.

Weights become graph initializers named the way torch names parameters ("layer1.0.conv1.weight"),
and so do the scalars that enter the arithmetic (ReLU6's bounds, LayerNorm's epsilon), as torch's
exporter keeps them; shape constants (Gather indices, Unsqueeze axes, Concat pieces) are Constant
nodes, as torch.onnx writes them. So a model's parameters are exactly its initializers. Node and tensor
names follow torch.onnx too ("/layer1.0.conv1/Conv", "/layer1.0.conv1/Conv_output_0").
"""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

DEFAULT_OPSET = 13
BATCHNORM_EPSILON = 1e-5
FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64


class OnnxBuilder:
    def __init__(self, graph_name, seed=0, opset=DEFAULT_OPSET):
        self.graph_name = graph_name
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self.node_names = set()

    # ---- graph interface -------------------------------------------------------------------

    def add_input(self, name, elem_type, shape):
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, shape))
        return name

    def add_output(self, tensor, name, elem_type, shape):
        """Makes `tensor` the graph output `name`, renaming it where it is produced and used."""
        for node in self.nodes:
            node.input[:] = [name if value == tensor else value for value in node.input]
            node.output[:] = [name if value == tensor else value for value in node.output]
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    def initializer(self, name, array):
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def scalar(self, scope, value):
        """A 0-d initializer holding `value` (dtype kept), for arithmetic."""
        name = f"{scope}.scalar_{len(self.initializers)}"
        return self.initializer(name, np.asarray(value))

    def constant(self, scope, value):
        """A Constant node holding `value` (a numpy array or scalar, dtype kept)."""
        tensor = numpy_helper.from_array(np.asarray(value))
        return self.node("Constant", [], scope, value=tensor)

    def node(self, op_type, inputs, scope, **attributes):
        """Appends one node and returns the name of its (single) output."""
        name = self._unique_node_name(f"/{scope}/{op_type}")
        output = f"{name}_output_0"
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=name, **attributes))
        return output

    def build(self):
        graph = helper.make_graph(self.nodes, self.graph_name, self.inputs, self.outputs,
                                  self.initializers)
        opset = helper.make_opsetid("", self.opset)
        return helper.make_model(graph, opset_imports=[opset], producer_name="tessel-tools-models",
                                 ir_version=helper.find_min_ir_version_for([opset]))

    def _unique_node_name(self, base):
        name, suffix = base, 0
        while name in self.node_names:
            suffix += 1
            name = f"{base}_{suffix}"
        self.node_names.add(name)
        return name

    # ---- random weights --------------------------------------------------------------------

    def normal(self, shape, std):
        return self.rng.normal(0.0, std, size=shape).astype(np.float32)

    def uniform(self, shape, low, high):
        return self.rng.uniform(low, high, size=shape).astype(np.float32)

    # ---- layers (torch module names as `scope`) ---------------------------------------------

    def conv(self, x, scope, in_channels, out_channels, kernel, stride=1, padding=0, groups=1,
             bias=False):
        fan_in = in_channels // groups * kernel * kernel
        # He initialisation keeps the variance of ReLU activations steady from layer to layer.
        weight = self.normal((out_channels, in_channels // groups, kernel, kernel),
                             np.sqrt(2.0 / fan_in))
        inputs = [x, self.initializer(f"{scope}.weight", weight)]
        if bias:
            inputs.append(self.initializer(f"{scope}.bias", self.normal((out_channels,), 0.01)))
        return self.node("Conv", inputs, scope,
                         dilations=[1, 1], group=groups, kernel_shape=[kernel, kernel],
                         pads=[padding] * 4, strides=[stride, stride])

    def batchnorm(self, x, scope, channels, gamma_scale=1.0):
        """Inference-form BatchNormalization; `gamma_scale` damps branches added to a residual."""
        inputs = [
            x,
            self.initializer(f"{scope}.weight", gamma_scale * self.uniform((channels,), 0.8, 1.2)),
            self.initializer(f"{scope}.bias", self.normal((channels,), 0.05)),
            self.initializer(f"{scope}.running_mean", self.normal((channels,), 0.05)),
            self.initializer(f"{scope}.running_var", self.uniform((channels,), 0.8, 1.2)),
        ]
        return self.node("BatchNormalization", inputs, scope,
                         epsilon=BATCHNORM_EPSILON, momentum=0.9)

    def relu(self, x, scope):
        return self.node("Relu", [x], scope)

    def relu6(self, x, scope):
        low = self.scalar(scope, np.float32(0.0))
        high = self.scalar(scope, np.float32(6.0))
        return self.node("Clip", [x, low, high], scope)

    def maxpool(self, x, scope, kernel, stride, padding=0, ceil_mode=False):
        return self.node("MaxPool", [x], scope, ceil_mode=int(ceil_mode),
                         kernel_shape=[kernel, kernel], pads=[padding] * 4,
                         strides=[stride, stride])

    def global_average_pool_flatten(self, x, scope):
        pooled = self.node("GlobalAveragePool", [x], scope)
        return self.node("Flatten", [pooled], scope, axis=1)

    def gemm(self, x, scope, in_features, out_features):
        """torch.nn.Linear on a 2-D input: Gemm with the weight stored [out, in], transB=1."""
        weight = self.normal((out_features, in_features), np.sqrt(1.0 / in_features))
        inputs = [x, self.initializer(f"{scope}.weight", weight),
                  self.initializer(f"{scope}.bias", self.normal((out_features,), 0.01))]
        return self.node("Gemm", inputs, scope, alpha=1.0, beta=1.0, transB=1)

    def linear(self, x, scope, in_features, out_features):
        """torch.nn.Linear on a 3-D input: MatMul with the weight stored transposed, then Add."""
        weight = self.normal((in_features, out_features), np.sqrt(1.0 / in_features))
        product = self.node("MatMul", [x, self.initializer(f"{scope}.weight_t", weight)], scope)
        bias = self.initializer(f"{scope}.bias", self.normal((out_features,), 0.01))
        return self.node("Add", [bias, product], scope)

    def layernorm(self, x, scope, features, epsilon):
        """LayerNorm over the last axis, written out as torch.onnx writes it for opset < 17."""
        mean = self.node("ReduceMean", [x], scope, axes=[-1], keepdims=1)
        centered = self.node("Sub", [x, mean], scope)
        squared = self.node("Pow", [centered, self.scalar(scope, np.float32(2.0))], scope)
        variance = self.node("ReduceMean", [squared], scope, axes=[-1], keepdims=1)
        shifted = self.node("Add", [variance, self.scalar(scope, np.float32(epsilon))], scope)
        deviation = self.node("Sqrt", [shifted], scope)
        normalized = self.node("Div", [centered, deviation], scope)
        gamma = self.initializer(f"{scope}.weight", self.uniform((features,), 0.8, 1.2))
        beta = self.initializer(f"{scope}.bias", self.normal((features,), 0.05))
        scaled = self.node("Mul", [normalized, gamma], scope)
        return self.node("Add", [scaled, beta], scope)

    def gelu(self, x, scope):
        """Exact GELU, x * 0.5 * (1 + erf(x / sqrt(2))), in torch.onnx's order of operations."""
        scaled = self.node("Div", [x, self.scalar(scope, np.float32(np.sqrt(2.0)))], scope)
        erf = self.node("Erf", [scaled], scope)
        shifted = self.node("Add", [erf, self.scalar(scope, np.float32(1.0))], scope)
        product = self.node("Mul", [x, shifted], scope)
        return self.node("Mul", [product, self.scalar(scope, np.float32(0.5))], scope)

    def dim_of(self, x, scope, axis):
        """Shape(x)[axis] as a 1-element int64 tensor, ready for a Concat of a target shape."""
        shape = self.node("Shape", [x], scope)
        dim = self.node("Gather", [shape, self.constant(scope, np.int64(axis))], scope, axis=0)
        return self.node("Unsqueeze", [dim, self.constant(scope, np.array([0], np.int64))], scope)


