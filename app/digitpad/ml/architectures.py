"""One function per architecture. Every model has the same contract: input (28, 28, 1) in 0..1,
outputs ``reconstruction`` (28, 28, 1) and ``digit`` (10 softmax probabilities); ``digitnet`` also
has ``is_digit`` (1 sigmoid: how much the drawing looks like a digit at all), learnt from letters,
symbols and scribbles."""
from __future__ import annotations

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)


def paper(l2: float = 1e-4) -> keras.Model:
    """The seed paper's deep convolutional autoencoder + 784-500-10 classifier (section 2.2).

    Encoder conv 5x5x32, 2x2 average pool, conv 5x5x64, pool; decoder 2x2/2 transposed conv (64),
    3x3 conv (32), 2x2/2 transposed conv (32), 3x3 conv (1); the classifier reads the decoder's
    28x28 output, as in the paper.
    """
    init = keras.initializers.TruncatedNormal(stddev=0.1)
    reg = keras.regularizers.L2(l2)
    inp = keras.Input(INPUT_SHAPE, name="image")
    x = layers.Conv2D(32, 5, padding="same", activation="relu", kernel_initializer=init, name="enc_conv1")(inp)
    x = layers.AveragePooling2D(2, name="enc_pool1")(x)
    x = layers.Conv2D(64, 5, padding="same", activation="relu", kernel_initializer=init, name="enc_conv2")(x)
    code = layers.AveragePooling2D(2, name="enc_pool2")(x)
    x = layers.Conv2DTranspose(64, 2, strides=2, activation="relu", kernel_initializer=init, name="dec_up1")(code)
    x = layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer=init, name="dec_conv1")(x)
    x = layers.Conv2DTranspose(32, 2, strides=2, activation="relu", kernel_initializer=init, name="dec_up2")(x)
    recon = layers.Conv2D(1, 3, padding="same", activation="sigmoid", kernel_initializer=init,
                          name="reconstruction")(x)
    y = layers.Flatten(name="cls_flatten")(recon)
    y = layers.Dense(500, activation="relu", kernel_initializer=init, kernel_regularizer=reg, name="cls_hidden")(y)
    digit = layers.Dense(10, activation="softmax", kernel_initializer=init, kernel_regularizer=reg, name="digit")(y)
    return keras.Model(inp, {"reconstruction": recon, "digit": digit}, name="paper")


def _conv_bn(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def digitnet(dropout: float = 0.3) -> keras.Model:
    """DigitPad's default: a 5x5 stem, then batch-normed 3x3 blocks, feeding both a light decoder
    and a dense classifier that reads the encoder's 7x7 code (not the reconstruction), so the
    autoencoder regularises the features without throttling the classifier.

    One 3x3 block per scale: a second 64-channel block at 14x14 doubled the cost of every step
    (training and the live answer) for no measurable accuracy on drawn digits.
    """
    inp = keras.Input(INPUT_SHAPE, name="image")
    x = layers.Conv2D(32, 5, padding="same", activation="relu", name="enc_stem")(inp)
    x = layers.MaxPooling2D(2, name="enc_pool1")(x)
    x = _conv_bn(x, 64, "enc2")
    x = layers.MaxPooling2D(2, name="enc_pool2")(x)
    code = _conv_bn(x, 128, "enc3")
    d = layers.Conv2D(16, 1, activation="relu", name="dec_squeeze")(code)
    d = layers.UpSampling2D(interpolation="bilinear", name="dec_up1")(d)
    d = layers.Conv2D(16, 3, padding="same", activation="relu", name="dec_conv1")(d)
    recon = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid",
                                   name="reconstruction")(d)
    y = layers.Flatten(name="cls_flatten")(code)
    y = layers.Dropout(dropout, name="cls_drop1")(y)
    hidden = layers.Dense(256, activation="relu", name="cls_hidden")(y)
    y = layers.Dropout(dropout, name="cls_drop2")(hidden)
    digit = layers.Dense(10, activation="softmax", name="digit")(y)
    # "Not a digit" needs its own answer: a letter A gets a confident 4 from the 10 classes and
    # is rebuilt by the decoder as well as a 4 is.
    n = layers.Dense(32, activation="relu", name="nd_hidden")(hidden)
    is_digit = layers.Dense(1, activation="sigmoid", name="is_digit")(n)
    return keras.Model(inp, {"reconstruction": recon, "digit": digit, "is_digit": is_digit}, name="digitnet")


ARCHITECTURES = {"digitnet": digitnet, "paper": paper}
DEFAULT = "digitnet"


def build(name: str) -> keras.Model:
    try:
        return ARCHITECTURES[name]()
    except KeyError:
        raise ValueError(f"unknown architecture {name!r}; choose from {sorted(ARCHITECTURES)}") from None
