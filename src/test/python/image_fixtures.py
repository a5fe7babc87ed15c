#!/usr/bin/python3
"""Writes the image preprocessing fixtures under src/test/resources/images/.

Source pictures are scikit-image's bundled sample photographs (Debian python3-skimage 0.19.3,
skimage.data; no download): astronaut (NASA, public domain), coffee (Rachel Michetti, CC0),
chelsea (Stefan van der Walt, CC0). Each is shrunk to a few dozen pixels so the files stay small.

Image files:
  astronaut-exif6.jpg   RGB JPEG (quality 92) whose EXIF orientation is 6: shown rotated 90
                        degrees clockwise; stored 40 wide x 30 high, displayed 30 x 40
  coffee-alpha.png      RGBA PNG, 36 x 24, alpha falling from 255 to 0 left to right
  chelsea-gray.png      8-bit greyscale PNG, 30 x 20
  chelsea-palette.png   palette (P mode) PNG, 32 adaptive colours, 30 x 20
  coffee-exif8.png      RGB PNG, 24 x 16, with an eXIf chunk saying orientation 8 (rotated 90
                        degrees counter-clockwise when shown)
  coffee-exif3.webp     lossless WebP, 24 x 16, with an EXIF chunk saying orientation 3 (180)
  chelsea-cmyk.jpg      CMYK JPEG (Adobe APP14), 30 x 20: the JDK's own reader refuses these
  not-an-image.jpg      text bytes with a .jpg name (must be rejected as decode_error)
  truncated.png         the first 60 bytes of chelsea-gray.png (must be rejected as decode_error)

cases.json lists the preprocessing cases: the options (as batchinfer's inputs.<name>.image block
spells them), the expected tensor's shape and dtype, and the file with the expected values (raw
little-endian float32 or uint8, row-major in the case's layout). The expected values are computed
here with Pillow + NumPy, the way torchvision pipelines do it:
  Image.open -> ImageOps.exif_transpose -> convert('RGB' | 'L')
  -> resize: shorter side (torchvision Resize(int): long = int(size * long / short)),
             [h, w] exactly, or fit (ImageOps.pad: keep aspect, pad centred with pad_value)
  -> centre crop (torchvision CenterCrop: top = round((h - ch) / 2), left likewise)
  -> NumPy: channel order, x * scale, (x - mean) / std per channel, CHW or HWC, float32 or uint8
Pillow's resampling filters are used for every resize (Image.BILINEAR, Image.BICUBIC, ...).

Run: /usr/bin/python3 src/test/python/image_fixtures.py       (from the repo root)
"""
import io
import json
import os

import numpy as np
from PIL import Image, ImageOps
import skimage.data

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources", "images")
FILTERS = {"bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC, "box": Image.BOX,
           "hamming": Image.HAMMING, "lanczos": Image.LANCZOS}


def write_files():
    os.makedirs(OUT, exist_ok=True)
    astro = Image.fromarray(skimage.data.astronaut()).resize((40, 30), Image.LANCZOS)
    exif = Image.Exif()
    exif[0x0112] = 6
    astro.save(os.path.join(OUT, "astronaut-exif6.jpg"), quality=92, exif=exif.tobytes())

    coffee = Image.fromarray(skimage.data.coffee()).resize((36, 24), Image.LANCZOS).convert("RGBA")
    alpha = np.tile(np.linspace(255, 0, 36).round().astype(np.uint8), (24, 1))
    coffee.putalpha(Image.fromarray(alpha, mode="L"))
    coffee.save(os.path.join(OUT, "coffee-alpha.png"))

    chelsea = Image.fromarray(skimage.data.chelsea()).resize((30, 20), Image.LANCZOS)
    chelsea.convert("L").save(os.path.join(OUT, "chelsea-gray.png"))
    chelsea.quantize(colors=32).save(os.path.join(OUT, "chelsea-palette.png"))
    chelsea.convert("CMYK").save(os.path.join(OUT, "chelsea-cmyk.jpg"), quality=95)

    small = Image.fromarray(skimage.data.coffee()).resize((24, 16), Image.LANCZOS)
    for name, orientation, kw in (("coffee-exif8.png", 8, {}),
                                  ("coffee-exif3.webp", 3, {"lossless": True})):
        exif = Image.Exif()
        exif[0x0112] = orientation
        small.save(os.path.join(OUT, name), exif=exif.tobytes(), **kw)

    with open(os.path.join(OUT, "not-an-image.jpg"), "wb") as f:
        f.write(b"this is not an image, only text with a .jpg name\n")
    with open(os.path.join(OUT, "chelsea-gray.png"), "rb") as f:
        head = f.read(60)
    with open(os.path.join(OUT, "truncated.png"), "wb") as f:
        f.write(head)


def size2(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def preprocess(path, o):
    img = ImageOps.exif_transpose(Image.open(path))
    img = img.convert("L" if o.get("mode") == "grayscale" else "RGB")
    resample = FILTERS[o.get("interpolation", "bilinear")]
    if "resize" in o:
        r = o["resize"]
        w, h = img.size
        if isinstance(r, int):
            short, long = (w, h) if w <= h else (h, w)
            new_short, new_long = r, int(r * long / short)
            nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
        else:
            nh, nw = r
        img = img.resize((nw, nh), resample)
    if "fit" in o:
        fh, fw = size2(o["fit"])
        pad = o.get("pad_value", 0)
        img = ImageOps.pad(img, (fw, fh), method=resample,
                           color=pad if img.mode == "L" else (pad, pad, pad))
    if "crop" in o:
        ch, cw = size2(o["crop"])
        w, h = img.size
        top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
        img = img.crop((left, top, left + cw, top + ch))
    x = np.asarray(img)
    if x.ndim == 2:
        x = x[:, :, None]
    if o.get("channel_order") == "bgr":
        x = x[:, :, ::-1]
    if o.get("dtype", "float32") == "float32":
        x = x.astype(np.float32) * np.float32(o.get("scale", 1.0 / 255.0))
        x = (x - np.asarray(o.get("mean", [0.0]), np.float32)) / np.asarray(o.get("std", [1.0]), np.float32)
    if o.get("layout", "nchw") == "nchw":
        x = x.transpose(2, 0, 1)
    return np.ascontiguousarray(x)


IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}
CASES = [
    ("astronaut-exif6.jpg", "astronaut-shorter-crop",
     dict(mode="rgb", resize=24, crop=20, layout="nchw", **IMAGENET)),
    ("astronaut-exif6.jpg", "astronaut-gray-bicubic-exact",
     dict(mode="grayscale", resize=[18, 14], interpolation="bicubic", layout="nchw", mean=[0.5], std=[0.5])),
    ("coffee-alpha.png", "coffee-fit-bgr-nhwc",
     dict(mode="rgb", fit=[20, 20], pad_value=0, channel_order="bgr", layout="nhwc", **IMAGENET)),
    ("coffee-alpha.png", "coffee-upscale-crop-box",
     dict(mode="rgb", resize=40, crop=[32, 40], interpolation="box", layout="nchw")),
    ("chelsea-gray.png", "chelsea-gray-uint8",
     dict(mode="grayscale", resize=[16, 16], layout="nhwc", dtype="uint8")),
    ("chelsea-gray.png", "chelsea-gray-as-rgb",
     dict(mode="rgb", resize=12, crop=12, layout="nchw", scale=1.0, mean=[0, 0, 0], std=[1, 1, 1])),
    ("chelsea-palette.png", "chelsea-palette-lanczos",
     dict(mode="rgb", resize=[10, 15], interpolation="lanczos", layout="nchw")),
    ("chelsea-palette.png", "chelsea-palette-none",
     dict(mode="rgb", layout="nhwc", dtype="uint8")),
    ("chelsea-cmyk.jpg", "chelsea-cmyk-uint8",
     dict(mode="rgb", layout="nhwc", dtype="uint8")),
    ("coffee-exif8.png", "coffee-png-exif8-uint8",
     dict(mode="rgb", layout="nhwc", dtype="uint8")),
    ("coffee-exif3.webp", "coffee-webp-exif3-uint8",
     dict(mode="rgb", layout="nchw", dtype="uint8")),
]


def main():
    write_files()
    cases = []
    for image, name, opts in CASES:
        x = preprocess(os.path.join(OUT, image), opts)
        x.astype("<f4" if x.dtype == np.float32 else "u1").tofile(os.path.join(OUT, name + ".bin"))
        cases.append({"name": name, "image": image, "options": opts,
                      "shape": list(x.shape), "dtype": str(x.dtype)})
        print(name, x.shape, x.dtype)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
