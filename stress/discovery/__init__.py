"""Robust Decision Making's questions on finished studies.

``analysis`` (scenario discovery: under which combinations of the inputs do the points
meet a target? PRIM or CART boxes, with the points' Monte Carlo noise accounted for),
``expressions`` (targets and criteria such as ``tier2_p > 0.3``, parsed, never
evaluated as code), ``cases``, ``boxes``, ``prim``, ``cart``, ``stability``, and
``regret`` (how rule-set variants fare across the uncertainty: ``stress robust``).
"""

__all__ = ["analysis", "boxes", "cart", "cases", "expressions", "prim", "regret", "stability"]
