"""Execute a chosen schedule: simulated with measured noise, or on real processors.

``dispatch`` holds the two dispatch policies once; ``sim`` and
``torch_backend`` only say how a stage is run and timed. ``trace`` is the
record format, ``compare`` the measured-versus-planned report (the timeline
picture is :func:`splitsched.plot.planned_vs_actual`). torch is imported only
inside the torch modules' functions.
"""

from splitsched.replay.compare import compare
from splitsched.replay.dispatch import POLICIES, execute, lane_programs
from splitsched.replay.noise import NoiseModel
from splitsched.replay.sim import simulate
from splitsched.replay.trace import StageRecord, TraceHeader, TraceRun, read_trace, write_trace

__all__ = ["POLICIES", "NoiseModel", "StageRecord", "TraceHeader", "TraceRun", "compare",
           "execute", "lane_programs", "read_trace", "simulate", "write_trace"]
