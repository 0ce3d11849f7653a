"""What the page can ask of one loaded scenario, independent of HTTP.

A ``WhatIf`` holds the loaded scenario, the result folder and two worker processes:
one answers what-if questions (a few thousand replications, common random numbers
against the loaded scenario), the other runs scenarios in full and writes reports, so
that a full run never holds up an answer.

Every question carries the page's client id and a sequence number. A newer question
from the same page stops the older one's run (or keeps it from starting), and an
answer that comes back after a newer question was asked is discarded, so a slow
answer can never replace a newer one.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from stress.config.loading import Scenario
from stress.config.schema import TRIGGER_KEYS
from stress.errors import UserError
from stress.model.plan import MAX_TIERS
from stress.serve import controls, plans, values
from stress.serve.worker import Cancelled, Job, Worker

CLIENT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_CLIENTS = 1000          # pages remembered at once (the oldest are forgotten)
BUDGET_SECONDS = 0.2        # the default N answers within this (the rest of 0.3 s is HTTP and drawing)
FULL_N = 10_000             # a run in full, as stress run
CAPS = {"scenario.horizon_days": values.MAX_HORIZON_DAYS}   # keys the page limits below the schema


class NotFound(UserError):
    """No such result folder (or one the server does not serve)."""


class Stale(Cancelled):
    """A newer question from the same page came in: this answer is no longer wanted."""


class WhatIf:
    def __init__(self, scenario: Scenario, results: str | Path, *, n: int | None = None, seed: int = 0,
                 timeout: float = 20.0, full_timeout: float = 900.0) -> None:
        values.check_scenario(scenario)
        if n is not None:
            values.settings(n, seed)
        self.scenario = scenario
        self.results = Path(results).resolve()
        self.n = n
        self.seed = seed
        self.timeout = timeout
        self.full_timeout = full_timeout
        self.calibration: dict[int, float] = {}
        self.answers = Worker("stress-serve-answers")
        self.jobs = Worker("stress-serve-jobs")
        self._lock = threading.Lock()
        self._latest: OrderedDict[str, int] = OrderedDict()
        self._running: dict[str, Job] = {}

    # --- life ------------------------------------------------------------------

    def start(self) -> None:
        """Start the answering process, load the compiled engine (compiling it the first
        time), and unless N was given choose the largest default N that answers within
        ``BUDGET_SECONDS`` here."""
        self.answers.start()
        found = self.answers.run(Job("calibrate", {"reference": self.scenario.config,
                                                   "budget": BUDGET_SECONDS if self.n is None else -1.0}),
                                 timeout=900)
        self.calibration = found["seconds"]
        if self.n is None:
            self.n = found["n"]
        # the other process gets ready for runs in full meanwhile
        threading.Thread(target=self._warm_jobs, name="stress-serve-warm", daemon=True).start()

    def _warm_jobs(self) -> None:
        try:
            self.jobs.run(Job("warm", {"config": self.scenario.config}), self.full_timeout)
        except Exception:  # noqa: BLE001  (a first run in full will say what is wrong)
            pass

    def close(self) -> None:
        self.answers.close()
        self.jobs.close()

    # --- questions --------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """What the page is built from: the controls with the scenario's values, the
        plan's tiers and what a tier may be added with, N and the caps."""
        config = self.scenario.config
        return {"source": self.scenario.source, "name": config.scenario.name,
                "sections": [s.to_dict() for s in controls.sections(config, caps=CAPS)],
                "tiers": [t.name for t in config.tiers], "max_tiers": MAX_TIERS,
                "triggers": {kind: {"needs": list(keys["needs"]), "may": list(keys["may"]),
                                    "starts": {k: v for k, v in plans.new_tier("new", kind, config).items()
                                               if k in keys["needs"]}}
                             for kind, keys in TRIGGER_KEYS.items()},
                "n": self.n, "seed": self.seed, "max_n": values.MAX_N, "full_n": FULL_N,
                "max_full_n": values.MAX_FULL_N, "results": str(self.results), "timeout": self.timeout}

    def plan(self, tiers: Any) -> dict[str, Any]:
        """The controls of the plan ``tiers`` asks for (``plans.plan``): a section per
        tier, a loaded tier with the scenario's values, an added one with those it starts
        with. Raises ``values.InputError`` (at ``tiers``)."""
        planned = values.planned(self.scenario, tiers)
        classes = [c.name for c in self.scenario.config.breaches.classes]
        return {"tiers": [{"name": t.name, "trigger": t.trigger, "added": t.name in planned.added}
                          for t in planned.tiers],
                "removed": list(planned.removed),
                "sections": [s.to_dict() for s in controls.tier_sections(planned.tiers, classes,
                                                                          added=planned.added, caps=CAPS)]}

    def what_if(self, client: Any, seq: Any, changes: Any, n: Any, seed: Any, tiers: Any = None) -> dict[str, Any]:
        """The answer for the scenario with the plan ``tiers`` asks for (None: the loaded
        plan) and ``changes``, against the loaded one. Raises ``Stale`` when a newer
        question from ``client`` came in, ``values.InputError``, ``TimedOut``."""
        if not isinstance(client, str) or not CLIENT.match(client):
            raise values.InputError([(None, "client must be 1 to 64 letters, digits, - or _")])
        if not values.whole(seq) or seq < 0:
            raise values.InputError([(None, "seq must be a whole number >= 0")])
        with self._lock:
            if seq <= self._latest.get(client, -1):
                raise Stale()
            self._latest[client] = seq
            self._latest.move_to_end(client)
            while len(self._latest) > MAX_CLIENTS:
                self._latest.popitem(last=False)
            older = self._running.pop(client, None)
        if older is not None:          # its answer would be for values the page no longer shows
            self.answers.cancel(older)
        settings, cfg = values.request(self.scenario, changes, n, seed, tiers=tiers)
        job = Job("what_if", {"reference": self.reference(cfg), "variant": cfg, "n": settings.n,
                              "seed": settings.seed})
        with self._lock:
            if self._latest.get(client) != seq:
                raise Stale()
            self._running[client] = job
        try:
            answer = self.answers.run(job, self.timeout)
        except Cancelled:
            raise Stale() from None
        finally:
            with self._lock:
                if self._running.get(client) is job:
                    del self._running[client]
        with self._lock:
            if self._latest.get(client) != seq:
                raise Stale()       # finished, but the page has asked something newer since
        return {**answer, "seq": seq, "changes": dict(changes)}   # request() checked it is a mapping

    def reference(self, variant) -> Any:
        """The loaded scenario, over the variant's horizon: paired replications must
        cover the same time (a changed horizon is compared with the loaded scenario run
        over it too)."""
        horizon = variant.scenario.horizon_days
        if horizon == self.scenario.config.scenario.horizon_days:
            return self.scenario.config
        return self.scenario.with_values([("scenario.horizon_days", horizon)])

    def save(self, changes: Any, tiers: Any = None) -> tuple[str, str]:
        """(file name, TOML text) of the scenario with the plan ``tiers`` asks for and
        ``changes``, validated; the plan is written as [[tiers]] tables."""
        cfg = values.config(self.scenario, changes, tiers)
        return values.file_name(cfg), values.saved_toml(self.scenario, changes, cfg,
                                                        values.planned(self.scenario, tiers))

    def run_in_full(self, changes: Any, n: Any, seed: Any, tiers: Any = None) -> dict[str, Any]:
        """A normal result folder in ``results`` (``stress run``) with its report."""
        settings, cfg = values.request(self.scenario, changes, n, seed, tiers=tiers, max_n=values.MAX_FULL_N)
        self.results.mkdir(parents=True, exist_ok=True)
        done = self.jobs.run(Job("full_run", {"config": cfg, "n": settings.n, "seed": settings.seed,
                                              "results": str(self.results)}), self.full_timeout)
        name = Path(done["folder"]).name
        return {"id": name, "report": report_url(name)}

    # --- result folders ----------------------------------------------------------

    def results_list(self) -> list[dict[str, Any]]:
        """The result folders in ``results``, as ``stress results`` lists them."""
        if not self.results.is_dir():
            return []
        from stress.output.listing import results
        return [{"id": e.id, "kind": e.kind, "status": e.status, "scenario": e.scenario, "n": e.n,
                 "created": e.created, "headline": e.headline,
                 "report": report_url(e.id) if e.status == "complete" else None}
                for e in reversed(results(self.results))]

    def report(self, name: str) -> Path:
        """The HTML report of the result folder ``name`` directly inside ``results``
        (written first if the folder has none). Anything else is ``NotFound``."""
        folder = self.folder(name)
        page = folder / "report.html"
        if not page.exists():
            self.jobs.run(Job("report", {"folder": str(folder)}), self.full_timeout)
        if page.is_symlink() or not page.is_file():
            raise NotFound(f"{name}: no report")
        return page

    def folder(self, name: str) -> Path:
        """A result folder directly inside ``results``, by name; never anything outside it."""
        if (not isinstance(name, str) or not name or name.startswith(".") or "/" in name or "\\" in name
                or "\0" in name):
            raise NotFound(f"{name!r}: not a result folder")
        path = self.results / name
        if path.is_symlink() or not path.is_dir() or path.resolve().parent != self.results:
            raise NotFound(f"{name!r}: not a result folder in {self.results}")
        return path


def report_url(name: str) -> str:
    from urllib.parse import quote
    return f"results/{quote(name, safe='')}/report.html"

