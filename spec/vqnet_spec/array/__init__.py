"""Array-backend conformance tests (run with ``--vqnet-array NAME``; default ``numpy``)."""
