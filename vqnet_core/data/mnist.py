"""MNIST: the dataset class, the 5k sample shipped with the package, and a verified download.

>>> from vqnet_core.data import MNIST
>>> train = MNIST()                       # the shipped 5k sample: 4,000 train images
>>> image, label = train[0]
>>> image.shape, image.dtype.name, len(train)
((1, 28, 28), 'float32', 4000)
>>> len(MNIST(train=False, digits=[0, 1]))
217
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from .dataset import Dataset
from .idx import read_idx

__all__ = ["MNIST", "MNISTDownloadError", "download_mnist", "sample_dir", "MNIST_FILES",
           "MNIST_MIRRORS"]

# The canonical full-MNIST archives (60,000 train / 10,000 test) and their sha256.
MNIST_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz":
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz":
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
# Tried in order; each is a URL prefix the file names are appended to.
MNIST_MIRRORS: list[str] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]

_SPLITS = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
           False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def sample_dir() -> Path:
    """The folder of the 5,000-image MNIST sample shipped inside the package (4,000 train,
    1,000 test; see its README for the source and licence)."""
    return Path(__file__).resolve().parent / "mnist5k"


def _find(root: Path, stem: str) -> Path:
    # root itself, or the torchvision layout root/MNIST/raw; raw or gzipped
    for folder in (root, root / "MNIST" / "raw"):
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    raise FileNotFoundError(
        f"no {stem}[.gz] in {root} (nor in {root / 'MNIST' / 'raw'}); get the files with "
        f"vqnet_core.data.download_mnist({str(root)!r}), or use MNIST() with no root for the "
        "5k sample shipped with VQNet")


class MNIST(Dataset):
    """The MNIST handwritten digits as ``(image, label)`` samples.

    ``image`` is a float32 NumPy array of shape ``[1, 28, 28]`` (in ``[0, 1]`` when
    ``normalize``, else ``[0, 255]``) and ``label`` a Python int. :class:`DataLoader` batches
    them into QTensors.

    Args:
        root: a folder holding the standard files (``train-images-idx3-ubyte[.gz]``, ...);
            ``None`` reads the 5k sample shipped inside the package.
        train: the training split (else the test split).
        digits: keep only these classes (labels keep their original values).
        normalize: scale pixels to ``[0, 1]``.

    Attributes ``data`` (uint8 ``[N, 28, 28]``) and ``targets`` (int64 ``[N]``) hold the
    selected raw arrays; :meth:`arrays` gives the whole split as float arrays at once.
    """

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True,
                 digits: Iterable[int] | None = None, normalize: bool = True) -> None:
        folder = sample_dir() if root is None else Path(root)
        if root is not None and not folder.is_dir():
            raise FileNotFoundError(f"MNIST root {folder} is not a folder")
        img_stem, lbl_stem = _SPLITS[bool(train)]
        img_path, lbl_path = _find(folder, img_stem), _find(folder, lbl_stem)
        images, labels = read_idx(img_path), read_idx(lbl_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{img_path}: expected uint8 images [N, rows, cols], got "
                             f"{images.dtype} {images.shape}")
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(f"{lbl_path}: {labels.shape} labels do not match "
                             f"{images.shape[0]} images in {img_path}")
        labels = labels.astype(np.int64)
        if digits is not None:
            keep = sorted({int(d) for d in digits})
            bad = [d for d in keep if not 0 <= d <= 9]
            if bad or not keep:
                raise ValueError(f"digits must be a non-empty set of 0..9, got {list(digits)}")
            mask = np.isin(labels, keep)
            images, labels = images[mask], labels[mask]
        self.root, self.train, self.normalize = folder, bool(train), bool(normalize)
        self.data: np.ndarray = images
        self.targets: np.ndarray = labels

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def _images(self, idx) -> np.ndarray:
        x = self.data[idx].astype(np.float32)
        if self.normalize:
            x *= np.float32(1 / 255)
        return x[..., None, :, :]  # channel dimension

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        n = len(self)
        if not isinstance(index, int | np.integer):
            raise TypeError(f"MNIST index must be an int, got {type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for {n} MNIST samples")
        return self._images(int(index)), int(self.targets[index])

    def get_batch(self, indices: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Images ``[B, 1, 28, 28]`` float32 and labels ``[B]`` int64 at ``indices``."""
        idx = np.asarray(indices, dtype=np.int64)
        return self._images(idx), self.targets[idx]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole split: images ``[N, 1, 28, 28]`` float32 and labels ``[N]`` int64."""
        return self._images(slice(None)), self.targets.copy()

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return f"MNIST({split}, {len(self)} samples, root={str(self.root)!r})"


class MNISTDownloadError(RuntimeError):
    """MNIST could not be downloaded (offline, every mirror failed, or a checksum mismatch)."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fetch(url: str, dest: Path, timeout: float) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as r:
            shutil.copyfileobj(r, out)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def download_mnist(root: str | os.PathLike, mirrors: Sequence[str] | None = None,
                   timeout: float = 5.0, files: Mapping[str, str] | None = None,
                   force: bool = False) -> Path:
    """Download the four standard MNIST files into ``root`` and verify their sha256.

    Each file is tried on each mirror in turn (``mirrors`` defaults to
    :data:`MNIST_MIRRORS`); a file already in ``root`` with the right hash is kept. ``files``
    maps file names to their sha256 (default :data:`MNIST_FILES`, the full MNIST). Returns
    ``root``, ready for ``MNIST(root)``.

    Raises :class:`MNISTDownloadError` when a file cannot be had from any mirror (offline:
    every connection failed or timed out after ``timeout`` seconds) or every copy fetched had
    the wrong sha256; the message points to the 5k sample that works offline.

    >>> download_mnist("~/data/mnist")  # doctest: +SKIP
    """
    dest_dir = Path(root).expanduser()
    dest_dir.mkdir(parents=True, exist_ok=True)
    mirrors = list(MNIST_MIRRORS if mirrors is None else mirrors)
    if not mirrors:
        raise ValueError("download_mnist: no mirrors given")
    for name, want in (MNIST_FILES if files is None else files).items():
        dest = dest_dir / name
        if dest.is_file() and not force and _sha256(dest) == want:
            continue
        errors: list[str] = []
        mismatch = False
        for prefix in mirrors:
            url = prefix.rstrip("/") + "/" + name
            try:
                _fetch(url, dest, timeout)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                errors.append(f"{url}: {getattr(e, 'reason', e)}")
                continue
            got = _sha256(dest)
            if got == want:
                break
            dest.unlink()
            mismatch = True
            errors.append(f"{url}: sha256 mismatch (expected {want}, got {got})")
        else:
            what = ("the downloaded file failed its sha256 check" if mismatch else
                    "no mirror could be reached (offline?)")
            raise MNISTDownloadError(
                f"could not download {name}: {what}.\n  " + "\n  ".join(errors) +
                "\nWithout network, use the 5,000-image sample shipped with VQNet: "
                "vqnet_core.data.MNIST() with no root (4,000 train / 1,000 test images).")
    return dest_dir
