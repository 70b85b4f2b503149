"""dlkit.reference: numpy implementations with PyTorch semantics, the course's answer key.

Plain functions (``sigmoid(x)``), functional layers (``linear_forward`` /
``linear_backward``), layer objects and optimizers. One import gives a lesson
everything: ``from dlkit.reference import softmax, linear_forward``.
"""

from .activations import (
    leaky_relu,
    leaky_relu_backward,
    leaky_relu_forward,
    log_softmax,
    log_softmax_backward,
    log_softmax_forward,
    relu,
    relu_backward,
    relu_forward,
    sigmoid,
    sigmoid_backward,
    sigmoid_forward,
    softmax,
    softmax_backward,
    softmax_forward,
    tanh,
    tanh_backward,
    tanh_forward,
)
from .layers import (
    as_generator,
    batchnorm_backward,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    embedding_backward,
    embedding_forward,
    linear_backward,
    linear_forward,
)
from .losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss
from .autograd import Value
from .modules import BatchNorm1d, Dropout, Embedding, LeakyReLU, Linear, Module, ReLU, Sequential, Sigmoid, Tanh
from .optim import SGD, Adam, Optimizer, RMSprop
