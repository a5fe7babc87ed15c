#!/usr/bin/python3
"""Writes the two small models of the iris chain example (models/iris-chain/README.md).

iris-embed.onnx: features [?, 4] float32 (sepal_length, sepal_width, petal_length, petal_width)
  -> embedding [?, 8] float32 = tanh(((x - mean) / std) @ W1 + b1), W1/b1 drawn with seed 13.
iris-head.onnx:  embedding [?, 8] float32 -> probabilities [?, 3] float32 = softmax(e @ W2 + b2),
  W2/b2 fitted to the 150 iris rows by plain gradient descent on the cross-entropy (numpy).

Run from the repository root with Debian's python3-onnx and python3-numpy:
  /usr/bin/python3 models/iris-chain/make_iris_chain.py
The output is deterministic (fixed seed, fixed iteration count); the sha256 of both files is
recorded in the README and checked by the tests.
"""
import csv
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLASSES = ["setosa", "versicolor", "virginica"]


def load_iris():
    with open(os.path.join(ROOT, "data", "iris", "iris.csv")) as f:
        rows = list(csv.DictReader(f))
    x = np.array(
        [[float(r[c]) for c in ("sepal_length", "sepal_width", "petal_length", "petal_width")]
         for r in rows], dtype=np.float32)
    y = np.array([CLASSES.index(r["species"]) for r in rows])
    return x, y


def save(graph, name):
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_iris_chain.py")
    model.ir_version = 8
    model.doc_string = "batchinfer iris chain fixture: " + name
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def main():
    x, y = load_iris()
    mean = x.mean(axis=0).astype(np.float32)
    std = x.std(axis=0).astype(np.float32)
    rng = np.random.default_rng(13)
    w1 = rng.normal(0, 0.8, size=(4, 8)).astype(np.float32)
    b1 = rng.normal(0, 0.1, size=(8,)).astype(np.float32)

    embed = helper.make_graph(
        [
            helper.make_node("Sub", ["features", "mean"], ["centered"]),
            helper.make_node("Div", ["centered", "std"], ["scaled"]),
            helper.make_node("Gemm", ["scaled", "w1", "b1"], ["hidden"]),
            helper.make_node("Tanh", ["hidden"], ["embedding"]),
        ],
        "iris_embed",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 8])],
        [numpy_helper.from_array(mean, "mean"), numpy_helper.from_array(std, "std"),
         numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1")])
    save(embed, "iris-embed.onnx")

    e = np.tanh(((x - mean) / std) @ w1 + b1)
    w2 = np.zeros((8, 3), dtype=np.float64)
    b2 = np.zeros(3, dtype=np.float64)
    onehot = np.eye(3)[y]
    for _ in range(2000):
        logits = e @ w2 + b2
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / len(y)
        w2 -= 0.5 * e.T @ grad
        b2 -= 0.5 * grad.sum(axis=0)
    w2 = w2.astype(np.float32)
    b2 = b2.astype(np.float32)
    head = helper.make_graph(
        [
            helper.make_node("Gemm", ["embedding", "w2", "b2"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "iris_head",
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")])
    save(head, "iris-head.onnx")

    accuracy = float(((e.astype(np.float32) @ w2 + b2).argmax(axis=1) == y).mean())
    print("training accuracy of embed -> head on the 150 iris rows: %.4f" % accuracy)


if __name__ == "__main__":
    main()
