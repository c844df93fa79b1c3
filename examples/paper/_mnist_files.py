"""The paper's ``load_mnist`` reads the raw IDX files (``train-images.idx3-ubyte``...); this
writes them, once, from the 5k MNIST sample bundled with VQNet (4,000 train / 1,000 test)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from vqnet_core.data import sample_dir

NAMES = {"train-images-idx3-ubyte.gz": "train-images.idx3-ubyte",
         "train-labels-idx1-ubyte.gz": "train-labels.idx1-ubyte",
         "t10k-images-idx3-ubyte.gz": "t10k-images.idx3-ubyte",
         "t10k-labels-idx1-ubyte.gz": "t10k-labels.idx1-ubyte"}


def mnist_path() -> str:
    """A folder holding the bundled sample under the paper's file names."""
    out = Path(os.environ.get("VQNET_PAPER_MNIST", Path.home() / ".cache" / "vqnet" /
                              "paper_mnist"))
    out.mkdir(parents=True, exist_ok=True)
    for gz, raw in NAMES.items():
        dst = out / raw
        if not dst.is_file():
            tmp = dst.with_suffix(".tmp")
            tmp.write_bytes(gzip.decompress((sample_dir() / gz).read_bytes()))
            tmp.replace(dst)
    return str(out)
