"""Benchmarks of the tensor and autograd core: one implementation of every measurement.

Both ``pytest benchmarks/`` (through pytest-benchmark) and ``tito benchmark``
(against a student's own exported package, in a subprocess) use these
modules; neither has a copy of its own.

| module | its one job |
|---|---|
| ``timing`` | interleaved timing of several contenders, medians, BLAS pinned to one thread |
| ``results`` | ``Result`` (one measured row), ratios, JSON round trip |
| ``ops``, ``graphs``, ``steps``, ``memory`` | the measurements: per-op forward, backward vs graph |
|  | size, training steps, peak memory |
| ``cases`` | the catalog of every measurement, by id |
| ``growth`` | is backward's cost linear in the number of nodes? |
| ``baseline`` | the committed ratios (``benchmarks/baseline.json``) and the regression check |
| ``course`` | which cases a course module covers, which exports are missing (from the module catalog) |
| ``runner`` | run cases in this process; ``worker`` runs them in a subprocess for ``tito`` |
| ``report``, ``plot`` | the table people read, the scaling curves they look at |

Nothing here imports ``tinytorch`` at import time: the package to measure is
chosen at run time (the course's own, for ``tito benchmark``), and every
case imports it when it is measured. NumPy is imported by the measuring
modules only.
"""
