"""Searching the plan's numbers for the best trade-offs (``stress optimize``).

``levers`` (the keys and their ranges), ``objectives`` (what to minimise or maximise,
over the uncertainty too, and the constraints), ``search`` (pymoo's NSGA-II, seeded),
``racing`` (where the replications go), ``front`` (dominance, hypervolume, knee),
``analysis`` (the final front on fresh replications), ``report`` (its tables and notes)
and ``spec`` (the definition the manifest keeps). The job is ``stress.jobs.optimize``.
"""
