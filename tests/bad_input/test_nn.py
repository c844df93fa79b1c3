"""Bad input to nn layers: errors name the problem, and empty batches give empty results
(issue 9)."""

import pytest

import vqnet_core as vq
from vqnet_core import nn


@pytest.mark.parametrize("layer, args, what", [
    (nn.Conv2D, (1, 4, (0, 3)), r"kernel_size must be positive, got \(0, 3\)"),
    (nn.Conv1D, (1, 4, 0), r"kernel_size must be positive, got \(0,\)"),
    (nn.ConvT2D, (1, 4, (3, 0)), r"kernel_size must be positive, got \(3, 0\)"),
    (nn.Conv2D, (1, 4, 3, 0), r"stride must be positive, got \(0, 0\)"),
    (nn.Conv2D, (1, 4, 3, 1, -1), r"padding must be non-negative, got \(-1, -1\)"),
])
def test_conv_with_a_zero_kernel_is_refused_at_construction(layer, args, what):
    with pytest.raises(ValueError, match=f"{layer.__name__}: {what}"):
        layer(*args)


@pytest.mark.parametrize("layer, kwargs, what", [
    (nn.MaxPool2D, dict(kernel=0), "kernel_size must be positive, got 0"),
    (nn.MaxPool2D, dict(kernel=(2, 2), stride=(0, 1)), r"stride must be positive, got \(0, 1\)"),
    (nn.MaxPool2D, dict(kernel=2, dilation=0), "dilation must be positive, got 0"),
    (nn.AvgPool2D, dict(kernel=2, padding=-1), "padding must be non-negative, got -1"),
    (nn.MaxPool1D, dict(kernel=[0]), r"kernel_size must be positive, got \(0,\)"),
])
def test_pool_with_a_zero_window_is_refused_at_construction(layer, kwargs, what):
    with pytest.raises(ValueError, match=f"{layer.__name__}: {what}"):
        layer(**kwargs)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU, nn.RNN])
def test_recurrent_layer_with_sequence_length_0_says_so(backend, cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: the input sequence has length 0 "
                                         r"\(input shape \(0, 2, 3\), batch_first=False\)"):
        cls(3, 4)(vq.zeros((0, 2, 3)))
    with pytest.raises(ValueError, match=r"length 0 \(input shape \(2, 0, 3\), "
                                         r"batch_first=True\)"):
        cls(3, 4, batch_first=True)(vq.zeros((2, 0, 3)))
    with pytest.raises(ValueError, match="length 0"):
        cls(3, 4)(vq.zeros((0, 3)))  # unbatched


@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm2d, (0, 3, 4, 4)),
                                        (nn.BatchNorm1d, (0, 3))])
def test_batchnorm_eval_on_an_empty_batch_is_empty(backend, cls, shape):
    m = cls(3)
    m.eval()
    x = vq.zeros(shape, requires_grad=True)
    y = m(x)
    assert y.shape == shape
    y.sum().backward()
    assert x.grad.shape == shape
