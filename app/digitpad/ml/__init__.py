"""TensorFlow/Keras lives here: architectures, training, evaluation, the recogniser.

Import submodules lazily: importing TensorFlow costs seconds, and the GUI must show its window first.
"""
