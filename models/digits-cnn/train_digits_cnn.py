#!/usr/bin/python3
"""Trains and exports models/digits-cnn/digits-cnn.onnx and writes the example images.

Data: scikit-learn's bundled copy of the UCI "Optical Recognition of Handwritten Digits" test set
(1797 images, 8x8, 17 grey levels; sklearn.datasets.load_digits, no download). Each image is
written as an 8x8 greyscale PNG (level v -> round(v * 255 / 16)); a fixed, stratified 300-image
split goes to data/digits/images/label=<digit>/digit-<index>.png (the example input; the directory
name is the label, which Spark's file sources read as a partition column), the other 1497 images
train the network and are not written.

Preprocessing is the one the example config asks batchinfer for, done here with Pillow + NumPy on
the PNG bytes: decode, greyscale, resize to 16x16 (Pillow bilinear), x / 255, (x - 0.5) / 0.5,
NCHW float32. Training sees exactly what the job feeds the model.

Run with Debian's packages (python3-torch, python3-sklearn, python3-pil, python3-numpy):
    /usr/bin/python3 models/digits-cnn/train_digits_cnn.py        (from the repo root)
"""
import hashlib
import io
import os
import shutil

import numpy as np
import torch
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGES = os.path.join(ROOT, "data", "digits", "images")
MODEL = os.path.join(ROOT, "models", "digits-cnn", "digits-cnn.onnx")
SIZE = 16


def png_bytes(pixels8x8):
    img = Image.fromarray(np.rint(pixels8x8 * 255.0 / 16.0).astype(np.uint8), mode="L")
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def preprocess(png):
    img = Image.open(io.BytesIO(png)).convert("L").resize((SIZE, SIZE), Image.BILINEAR)
    x = np.asarray(img, dtype=np.float32) * np.float32(1.0 / 255.0)
    return ((x - np.float32(0.5)) / np.float32(0.5))[None, :, :]


class DigitsCnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
        self.classifier = torch.nn.Linear(16 * 4 * 4, 10)

    def forward(self, image):
        return self.classifier(torch.flatten(self.features(image), 1))


def main():
    torch.manual_seed(20261130)
    np.random.seed(20261130)
    digits = load_digits()
    idx = np.arange(len(digits.target))
    train_idx, test_idx = train_test_split(
        idx, test_size=300, random_state=20261130, stratify=digits.target)
    pngs = [png_bytes(digits.images[i]) for i in idx]

    x_train = torch.tensor(np.stack([preprocess(pngs[i]) for i in train_idx]))
    y_train = torch.tensor(digits.target[train_idx], dtype=torch.long)
    x_test = torch.tensor(np.stack([preprocess(pngs[i]) for i in test_idx]))
    y_test = digits.target[test_idx]

    model = DigitsCnn()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(30):
        model.train()
        perm = torch.randperm(len(y_train))
        for start in range(0, len(perm), 64):
            b = perm[start:start + 64]
            opt.zero_grad()
            loss = loss_fn(model(x_train[b]), y_train[b])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        train_acc = (model(x_train).argmax(1) == y_train).float().mean().item()
        pred = model(x_test).argmax(1).numpy()
    correct = int((pred == y_test).sum())
    print(f"train accuracy {train_acc:.4f}; held-out accuracy {correct}/{len(y_test)} = "
          f"{correct / len(y_test):.4f}")
    wrong = [(int(test_idx[k]), int(y_test[k]), int(pred[k]))
             for k in range(len(y_test)) if pred[k] != y_test[k]]
    print("misclassified (index, label, predicted):", wrong)

    torch.onnx.export(
        model, torch.zeros(1, 1, SIZE, SIZE), MODEL, input_names=["image"],
        output_names=["logits"], dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13, do_constant_folding=True)
    import onnx
    m = onnx.load(MODEL)
    m.producer_name = "pytorch " + torch.__version__ + " (models/digits-cnn/train_digits_cnn.py)"
    m.doc_string = ("8x8 digit images, greyscale, resized to 16x16 bilinear, x/255, (x-0.5)/0.5, "
                    "NCHW -> 10 logits (digits 0-9)")
    onnx.save(m, MODEL)
    with open(MODEL, "rb") as f:
        print("model sha256", hashlib.sha256(f.read()).hexdigest(), os.path.getsize(MODEL), "bytes")

    shutil.rmtree(IMAGES, ignore_errors=True)
    total = 0
    for i in sorted(test_idx):
        d = os.path.join(IMAGES, "label=%d" % digits.target[i])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "digit-%04d.png" % i), "wb") as f:
            f.write(pngs[i])
        total += len(pngs[i])
    print(f"wrote {len(test_idx)} images ({total} bytes) under data/digits/images")


if __name__ == "__main__":
    main()
