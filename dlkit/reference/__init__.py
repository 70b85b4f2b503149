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
from .conv import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    col2im,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_forward,
    conv2d_forward_naive,
    conv2d_output_shape,
    conv_output_size,
    im2col,
    max_pool2d_backward,
    max_pool2d_forward,
)
from .rnn import (
    clip_grad_norm,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from .modules_seq import LSTM, RNN, AvgPool2d, Conv2d, Flatten, MaxPool2d
from .attention import (
    attention_backward,
    attention_forward,
    causal_mask,
    multi_head_attention_backward,
    multi_head_attention_forward,
    sinusoidal_positional_encoding,
)
from .gan import discriminator_loss, gan_train_step, generator_loss, mode_statistics
