"""Data: the IDX reader, MNIST (with a 5k sample shipped in the package), datasets and loaders.

>>> from vqnet_core.data import MNIST, DataLoader
>>> images, labels = next(iter(DataLoader(MNIST(digits=[0, 1]), batch_size=8, seed=0)))
>>> images.shape, labels.dtype
((8, 1, 28, 28), vqnet_core.int64)
"""

from .dataset import Dataset, Subset, TensorDataset
from .idx import IDXError, read_idx, write_idx
from .loader import DataLoader, data_generator, default_collate
from .mnist import (
    MNIST,
    MNIST_FILES,
    MNIST_MIRRORS,
    MNISTDownloadError,
    download_mnist,
    sample_dir,
)

__all__ = [
    "Dataset", "TensorDataset", "Subset", "DataLoader", "data_generator", "default_collate",
    "IDXError", "read_idx", "write_idx", "MNIST", "MNISTDownloadError", "download_mnist",
    "sample_dir", "MNIST_FILES", "MNIST_MIRRORS",
]
