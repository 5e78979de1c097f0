"""The caresim model: council-level calendar events in simpy, the population in numpy arrays.

``caresim.model.model.run_replication`` runs one replication; each process family has its own
module (``demand``, ``assessment``, ``prevention``, ``services``, ``reviews``, ``exits``,
``transformation``, ``finance``, ``grant``). ``docs/model.md`` is generated from their docstrings.
"""
