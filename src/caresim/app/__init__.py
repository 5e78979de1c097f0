"""The application layer: each study caresim offers, orchestrated from the library's parts.

One module per command: :mod:`~caresim.app.run` (run and resume), :mod:`~caresim.app.compare`,
:mod:`~caresim.app.validate`, :mod:`~caresim.app.calibrate`, :mod:`~caresim.app.sensitivity`
and :mod:`~caresim.app.report`; :mod:`~caresim.app.common` holds what they share. A study
loads and changes scenarios (:mod:`caresim.scenario`), plans and executes model runs
(:mod:`caresim.runner`), computes with the pure functions of :mod:`caresim.analysis`, builds
figures and documents (:mod:`caresim.plotting`, :mod:`caresim.reporting`) and writes every file
through :mod:`caresim.io`. Nothing here prints: the command line does.
"""
