"""The comparison baseline: the tutorial's plain Keras CNN, trained on raw MNIST, no augmentation.

Saved as a classifier-only model (so it also exercises DigitPad's support for those) to
``bench/out/plain-cnn.keras``; evaluate it with the same commands as DigitPad's models.

    python bench/plain_cnn.py --epochs 5
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
import keras  # noqa: E402
from keras import layers  # noqa: E402

from digitpad.core import mnist_data  # noqa: E402
from digitpad.core.model_info import ModelInfo, write_info  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", default="bench/out/plain-cnn.keras")
    ap.add_argument("--mnist")
    args = ap.parse_args()
    keras.utils.set_random_seed(0)
    data = mnist_data.load(args.mnist)
    x = data.x_train[..., None].astype("float32") / 255
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax"),
    ])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, data.y_train, batch_size=128, epochs=args.epochs, validation_split=0.1, verbose=2)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    write_info(args.out, ModelInfo(name="plain-cnn", architecture="keras-tutorial-cnn",
                                   training={"epochs": args.epochs, "augmentation": None}))
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
