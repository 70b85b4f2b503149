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
from .layers import linear_backward, linear_forward
