"""vqnet_spec: the VQNet conformance suite, a pytest plugin plus the tests every backend passes.

Run it against an installed array backend or quantum machine::

    pytest --pyargs vqnet_spec --vqnet-array NAME [--vqnet-xfails FILE] [--vqnet-strict-xfails]
    pytest --pyargs vqnet_spec --vqnet-machine NAME

>>> import vqnet_spec
>>> vqnet_spec.__version__
'0.1.0'
"""

__version__ = "0.1.0"
