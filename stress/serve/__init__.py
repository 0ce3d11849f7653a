"""The what-if page, ``stress serve``: change any key of a scenario, add and remove tiers
of its plan, and see within a fraction of a second what it does to escalation, against
the scenario as loaded.

``server`` listens and serves, ``app`` is the HTTP side (Starlette), ``session`` what
the page may ask of one loaded scenario, ``values`` the checks on what a request
carries, ``plans`` the plan it asks for (tiers kept, removed and added), ``controls``
the page's controls from the schema, ``answers`` an answer from a paired comparison of
two plans, ``worker`` the process the simulations run in. ``static/`` holds the
page, its script and styles, and uPlot (MIT, vendored): nothing is fetched from
anywhere else. Needs the serve extra (``pip install ".[serve]"``).
"""

from __future__ import annotations

from stress.serve.server import serve

__all__ = ["serve"]
