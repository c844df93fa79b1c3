"""Bad input to tensor creation and seeding: errors name the problem (issue 9)."""

import numpy as np
import pytest

import vqnet_core as vq
from vqnet_core.utils import seed_everything


def _nested(depth):
    x = [1.0]
    for _ in range(depth - 1):
        x = [x]
    return x


def test_int_beyond_int64_names_the_value_not_ragged(backend):
    with pytest.raises(OverflowError, match=r"data\[1\] = 1180591620717411303424 does not fit "
                                            r"in int64; pass it as a float"):
        vq.tensor([1, 2**70])
    with pytest.raises(OverflowError, match="does not fit in int64"):
        vq.tensor([2**63])
    assert vq.tensor([2**70], dtype="float64").tolist() == [2.0**70]
    assert vq.tensor([-2**63]).tolist() == [-2**63]


def test_list_nested_past_numpy_dims_is_not_called_ragged(backend):
    with pytest.raises(ValueError, match=r"nested more than 64 deep \(numpy's limit on "
                                         r"dimensions\)"):
        vq.tensor(_nested(100))
    with pytest.raises(ValueError, match="nested more than 64 deep"):
        vq.tensor(_nested(100_000))  # the diagnosis does not recurse
    assert vq.tensor(_nested(64)).shape == (1,) * 64


def test_ragged_rows_are_named_by_index(backend):
    with pytest.raises(ValueError, match=r"data\[0\]\[0\] has length 2 but data\[1\]\[1\] "
                                         r"has length 1"):
        vq.tensor([[[1, 2], [3, 4]], [[1, 2], [3]]])
    with pytest.raises(ValueError, match=r"data\[0\] is a sequence but data\[1\] is not"):
        vq.tensor([[1.0], 2.0])


def test_non_numbers_are_named_by_index(backend):
    with pytest.raises(TypeError,
                       match=r"data\[0\]\[1\] is of type NoneType \(None\), not a number"):
        vq.tensor([[1.0, None]])
    with pytest.raises(TypeError, match=r"data\[1\] is of type str \('a'\), not a number"):
        vq.tensor([1, "a"])


def test_manual_seed_of_a_string_is_a_type_error():
    with pytest.raises(TypeError, match="manual_seed: the seed must be an int, got str 'abc'"):
        vq.manual_seed("abc")
    with pytest.raises(TypeError, match="got float 1.5"):
        vq.manual_seed(1.5)
    with pytest.raises(TypeError, match="seed_everything: the seed must be an int, got str"):
        seed_everything("abc")
    vq.manual_seed(np.int64(3))
    a = vq.rand(2).tolist()
    vq.manual_seed(3)
    assert vq.rand(2).tolist() == a
