"""splitsched: joint DNN partitioning and GPU-CPU scheduling on phones, benchmarked."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("splitsched")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
