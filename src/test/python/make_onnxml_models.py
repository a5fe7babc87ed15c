#!/usr/bin/python3
"""Writes the ONNX-ML (ai.onnx.ml) fixture models batchinfer tests and its example use.

Run from the repository root with Debian 12's packages (python3-onnx 1.12, python3-numpy,
python3-sklearn 1.2.1):

    /usr/bin/python3 src/test/python/make_onnxml_models.py

It writes three small graphs built node by node with onnx.helper (skl2onnx is not packaged):

models/iris-sklearn/iris-sklearn.onnx
    scikit-learn LogisticRegression fitted on the iris data scikit-learn bundles, exported the way
    skl2onnx exports a ColumnTransformer pipeline: one [N, 1] float input per measurement (named
    like the columns of data/iris/iris.parquet), Concat -> Scaler (StandardScaler's mean and
    1/scale) -> LinearClassifier (softmax) -> output_label (string [N]) and, through ZipMap,
    output_probability (seq(map(string, float))).
src/test/resources/onnxml/tree-zipmap.onnx
    a hand-written TreeEnsembleClassifier (2 trees, classes 3, 7, 9) on features [N, 3] float ->
    label (int64 [N]), and ZipMap -> probabilities (seq(map(int64, float))). Tests check its
    values against sums of the leaf weights worked out by hand.
src/test/resources/onnxml/mixed-columns.onnx
    a column-transformer-style pipeline on four [N, 1] inputs: age float (Scaler), city string
    (OneHotEncoder, categories paris/london/tokyo), plan string (LabelEncoder basic/plus/pro ->
    0/1/2, unknown -> -1, then Cast), visits int64 (Cast) -> Concat -> LinearClassifier with
    classes 0, 1 (softmax) -> output_label (int64 [N]), output_probability
    (seq(map(int64, float))).

The output is deterministic (fixed data, lbfgs, no randomness): re-running gives the same bytes.
"""
import os

import numpy as np
from onnx import TensorProto, TypeProto, checker, helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
OPSETS = [helper.make_opsetid("", 15), helper.make_opsetid("ai.onnx.ml", 3)]
ML = "ai.onnx.ml"


def seq_map(key_type):
    """seq(map(key_type, float)), ZipMap's output type (onnx 1.12 has no make_map_type_proto)."""
    t = TypeProto()
    t.sequence_type.elem_type.map_type.key_type = key_type
    t.sequence_type.elem_type.map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    return t


def save(graph, path, doc):
    model = helper.make_model(graph, opset_imports=OPSETS, producer_name="batchinfer-fixtures",
                              doc_string=doc)
    model.ir_version = 8
    checker.check_model(model)
    out = os.path.join(ROOT, path)
    with open(out, "wb") as f:
        f.write(model.SerializeToString())
    print("wrote", path, os.path.getsize(out), "bytes")


def iris_sklearn():
    iris = load_iris()
    x = iris.data.astype(np.float64)
    y = np.array(iris.target_names)[iris.target]
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    clf = LogisticRegression(max_iter=1000).fit((x - mean) / std, y)
    accuracy = clf.score((x - mean) / std, y)
    print("iris-sklearn: classes", list(clf.classes_), "training accuracy", round(accuracy, 4))
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    nodes = [
        helper.make_node("Concat", names, ["features"], axis=1),
        helper.make_node("Scaler", ["features"], ["scaled"], domain=ML,
                         offset=mean.astype(np.float32).tolist(),
                         scale=(1.0 / std).astype(np.float32).tolist()),
        helper.make_node("LinearClassifier", ["scaled"], ["output_label", "scores"], domain=ML,
                         classlabels_strings=[str(c) for c in clf.classes_],
                         coefficients=clf.coef_.astype(np.float32).ravel().tolist(),
                         intercepts=clf.intercept_.astype(np.float32).tolist(),
                         multi_class=1, post_transform="SOFTMAX"),
        helper.make_node("ZipMap", ["scores"], ["output_probability"], domain=ML,
                         classlabels_strings=[str(c) for c in clf.classes_]),
    ]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 1]) for n in names]
    outputs = [
        helper.make_tensor_value_info("output_label", TensorProto.STRING, ["N"]),
        helper.make_value_info("output_probability", seq_map(TensorProto.STRING)),
    ]
    save(helper.make_graph(nodes, "iris_sklearn", inputs, outputs),
         "models/iris-sklearn/iris-sklearn.onnx",
         "StandardScaler + LogisticRegression on iris, skl2onnx-style column inputs and ZipMap")


# Tree ensemble, written out so the tests can check it by hand. BRANCH_LEQ: go to the true node
# when x[feature] <= value.
#   tree 0: node 0: x0 <= 0.5 ? node 1 : node 2
#           node 1: leaf, weights class 3: 0.6, class 7: 0.3, class 9: 0.1
#           node 2: x1 <= 2.0 ? node 3 : node 4
#           node 3: leaf 0.1, 0.8, 0.1
#           node 4: leaf 0.2, 0.2, 0.6
#   tree 1: node 0: x2 <= 1.0 ? node 1 : node 2
#           node 1: leaf 0.5, 0.25, 0.25
#           node 2: leaf 0.0, 0.5, 0.5
# post_transform NONE: the score of a class is the sum of its weights in the reached leaves; the
# label is the class with the highest score.
TREE_LEAVES = {(0, 1): [0.6, 0.3, 0.1], (0, 3): [0.1, 0.8, 0.1], (0, 4): [0.2, 0.2, 0.6],
               (1, 1): [0.5, 0.25, 0.25], (1, 2): [0.0, 0.5, 0.5]}


def tree_zipmap():
    classes = [3, 7, 9]
    class_tree, class_node, class_id, class_weight = [], [], [], []
    for (tree, node), weights in TREE_LEAVES.items():
        for c, w in enumerate(weights):
            class_tree.append(tree)
            class_node.append(node)
            class_id.append(c)
            class_weight.append(w)
    nodes = [
        helper.make_node(
            "TreeEnsembleClassifier", ["features"], ["label", "scores"], domain=ML,
            nodes_treeids=[0, 0, 0, 0, 0, 1, 1, 1],
            nodes_nodeids=[0, 1, 2, 3, 4, 0, 1, 2],
            nodes_featureids=[0, 0, 1, 0, 0, 2, 0, 0],
            nodes_modes=["BRANCH_LEQ", "LEAF", "BRANCH_LEQ", "LEAF", "LEAF",
                         "BRANCH_LEQ", "LEAF", "LEAF"],
            nodes_values=[0.5, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            nodes_truenodeids=[1, 0, 3, 0, 0, 1, 0, 0],
            nodes_falsenodeids=[2, 0, 4, 0, 0, 2, 0, 0],
            class_treeids=class_tree, class_nodeids=class_node, class_ids=class_id,
            class_weights=class_weight, classlabels_int64s=classes, post_transform="NONE"),
        helper.make_node("ZipMap", ["scores"], ["probabilities"], domain=ML,
                         classlabels_int64s=classes),
    ]
    inputs = [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 3])]
    outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
               helper.make_value_info("probabilities", seq_map(TensorProto.INT64))]
    save(helper.make_graph(nodes, "tree_zipmap", inputs, outputs),
         "src/test/resources/onnxml/tree-zipmap.onnx",
         "TreeEnsembleClassifier (2 trees, classes 3/7/9) + ZipMap, weights written by hand")


def mixed_columns():
    cities = ["paris", "london", "tokyo"]
    # Features after the transformers: [age_scaled, paris, london, tokyo, plan_code, visits]
    coefficients = [[-0.8, 0.4, -0.2, 0.1, -0.5, -0.3],   # class 0 (stays)
                    [0.8, -0.4, 0.2, -0.1, 0.5, 0.3]]     # class 1 (churns)
    nodes = [
        helper.make_node("Scaler", ["age"], ["age_scaled"], domain=ML, offset=[40.0],
                         scale=[0.1]),
        helper.make_node("OneHotEncoder", ["city"], ["city_3d"], domain=ML, cats_strings=cities,
                         zeros=1),
        helper.make_node("Flatten", ["city_3d"], ["city_onehot"], axis=1),
        helper.make_node("LabelEncoder", ["plan"], ["plan_code"], domain=ML,
                         keys_strings=["basic", "plus", "pro"], values_int64s=[0, 1, 2],
                         default_int64=-1),
        helper.make_node("Cast", ["plan_code"], ["plan_float"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["visits"], ["visits_float"], to=TensorProto.FLOAT),
        helper.make_node("Concat", ["age_scaled", "city_onehot", "plan_float", "visits_float"],
                         ["features"], axis=1),
        helper.make_node("LinearClassifier", ["features"], ["output_label", "scores"], domain=ML,
                         classlabels_ints=[0, 1],
                         coefficients=[c for row in coefficients for c in row],
                         intercepts=[0.25, -0.25], multi_class=1, post_transform="SOFTMAX"),
        helper.make_node("ZipMap", ["scores"], ["output_probability"], domain=ML,
                         classlabels_int64s=[0, 1]),
    ]
    inputs = [helper.make_tensor_value_info("age", TensorProto.FLOAT, ["N", 1]),
              helper.make_tensor_value_info("city", TensorProto.STRING, ["N", 1]),
              helper.make_tensor_value_info("plan", TensorProto.STRING, ["N", 1]),
              helper.make_tensor_value_info("visits", TensorProto.INT64, ["N", 1])]
    outputs = [helper.make_tensor_value_info("output_label", TensorProto.INT64, ["N"]),
               helper.make_value_info("output_probability", seq_map(TensorProto.INT64))]
    save(helper.make_graph(nodes, "mixed_columns", inputs, outputs),
         "src/test/resources/onnxml/mixed-columns.onnx",
         "Scaler, OneHotEncoder, LabelEncoder and Cast on [N, 1] inputs, LinearClassifier, ZipMap")


if __name__ == "__main__":
    iris_sklearn()
    tree_zipmap()
    mixed_columns()
