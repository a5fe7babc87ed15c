#!/usr/bin/python3
"""Writes minilm-head.onnx: a classifier head over all-MiniLM-L6-v2 sentence embeddings.

embedding [?, 384] float32 (mean-pooled, L2-normalized) -> probabilities [?, 4] float32
  = softmax(embedding @ W + b), W ~ N(0, 3) and b ~ N(0, 0.1) drawn with numpy seed 7.

A test fixture for a text chain (text -> embedding -> head), not a trained classifier: its
weights are random, so its classes mean nothing. Run from the repository root with Debian's
python3-onnx and python3-numpy (deterministic output):
  /usr/bin/python3 models/text-head/make_text_head.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    rng = np.random.default_rng(7)
    w = rng.normal(0, 3.0, size=(384, 4)).astype(np.float32)
    b = rng.normal(0, 0.1, size=(4,)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["embedding", "w", "b"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "minilm_head",
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 384])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 4])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_text_head.py")
    model.ir_version = 8
    model.doc_string = "batchinfer text chain fixture: random head over MiniLM embeddings"
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "minilm-head.onnx"))


if __name__ == "__main__":
    main()
