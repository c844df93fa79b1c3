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


def paper_load_mnist():
    """Appendix C's ``load_mnist``, taken from ``c_hybrid_qpanda.py`` without importing that
    file (which needs pyqpanda), so that Appendix D runs with Qiskit alone."""
    import ast

    import numpy as np

    src = (Path(__file__).parent / "c_hybrid_qpanda.py").read_text()
    fn = next(node for node in ast.parse(src).body
              if isinstance(node, ast.FunctionDef) and node.name == "load_mnist")
    ns = {"np": np}
    exec(compile(ast.Module([fn], type_ignores=[]), "c_hybrid_qpanda.py", "exec"), ns)
    return ns["load_mnist"]
