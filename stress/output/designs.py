"""What each kind of study did, for the report's STRESS-DES answers: its purpose, what
it reports and how, what it varied, and how it estimates (README, "Statistics" and each
command's section). Every number comes from the result's view; ``stress.output.stress_des``
puts these into the checklist. Each kind names its function here in ``stress.kinds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from stress.storage.folders import a_kind

if TYPE_CHECKING:
    from stress.config.schema import Config

# What a run reports, and how: every kind that summarises replications says it.
PER_REPLICATION = ("Each replication's record (highest tier, the time each tier was first reached, counts of "
                   "breaches, reports and responses, the races and false escalation) is made when the "
                   "replication reaches the horizon; the statistics are computed from the records after the run")
RUN_INTERVALS = ("the probability of reaching at least each tier with its 95% Wilson interval, and its cumulative "
                 "curve by day with pointwise Wilson intervals; the 10th, 50th and 90th percentiles of the time to "
                 "reach it over the replications that did (from a histogram of {bin} bins, exact to the "
                 "bin); each yes/no column of the record as a proportion (Wilson interval) and each other column "
                 "as a mean (Student-t interval)")
NOT_CHOSEN = "How the number of replications was chosen: not recorded; state it."


@dataclass(frozen=True)
class Design:
    purpose: str                       # 1.1: what the study asks
    outputs: list[str]                 # 1.2: what it reports, how and when it is computed
    aims: list[str]                    # 1.3: scenarios (A), design of experiments (B), optimisation (C)
    scenarios: list[str]               # 2.3: how its scenarios differ from the base
    estimation: list[str]              # 4.3: replications and intervals
    algorithms: list[str] = field(default_factory=list)     # 2.4: beyond the model's own
    varied: list[str] = field(default_factory=list)         # 3.3: inputs beyond the scenario's values
    data: list[str] = field(default_factory=list)           # 3.1
    preprocessing: list[str] = field(default_factory=list)  # 3.2
    sampling: list[str] = field(default_factory=list)       # 5.2: draws beyond the replications' streams
    model: str = ""                    # 2.2: what of the model it simulates, when not all of it
    initialisation: list[str] = field(default_factory=list)  # 4.1, 4.2: when its simulations are not
    run_length: list[str] = field(default_factory=list)      # the scenario's replications


def design(view, config: "Config | None") -> Design:
    """What the study in ``view`` did; ``config`` is its scenario (None: not readable)."""
    from stress import kinds
    return kinds.design(view.kind)(view, config)


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def _keys(assignments: list[str]) -> str:
    return ", ".join(assignments) if assignments else "nothing (the scenario as it is)"


def _inputs(inputs: list[dict[str, Any]]) -> list[str]:
    """The uncertain inputs with their distributions (a calibration's joint input: its source)."""
    from stress.config.uncertain import CALIBRATED_KEYS, input_from_dict
    out = []
    for data in inputs:
        if data.get("dist") == "calibration":
            out.append(f"{', '.join(CALIBRATED_KEYS)}: jointly from the calibration in {data['source']} "
                       "(multivariate normal on the fit's working scale with its covariance)")
        else:
            out.append(f"{data['key']} ~ {input_from_dict(data, data['key']).distribution.describe()}")
    return out


def _calibrated_sources(inputs: list[dict[str, Any]]) -> list[str]:
    return [f"The breach process's parameters are drawn from the calibration in {d['source']}: its data "
            "sources are in that folder's report." for d in inputs if d.get("dist") == "calibration"]


def _design_seed(design: str, seed: int) -> list[str]:
    from stress.config.uncertain import DESIGN_KEY
    if design == "sobol":
        return [f"The design's points are scipy's scrambled Sobol' sequence, seeded with {seed}."]
    return [f"The design's points are drawn from numpy's PCG64 seeded with SeedSequence({seed}, "
            f"spawn_key=({DESIGN_KEY:#x},)), apart from every replication's streams."]


def _bin(config: "Config | None") -> str:
    """The width of the bins the times to reach a tier are counted in."""
    from stress.statistics.tally import bin_width_for
    return f"{bin_width_for(config.scenario.horizon_days * 24.0):g}-hour" if config is not None else "fine"


def run(view, config: "Config | None") -> Design:
    s = view.summary
    half = float(((s.tiers["ci_high"] - s.tiers["ci_low"]) / 2).max())
    return Design(
        purpose=f"A run of one scenario: {s.n:,} replications estimating how likely each tier of the plan is to be "
                "reached within the horizon, how fast, and how often on a false report.",
        outputs=[f"For the tiers {', '.join(s.tier_names)}: {RUN_INTERVALS.format(bin=_bin(config))}; "
                 f"{len(s.metrics)} such statistics in all (the table \"All numbers\").", PER_REPLICATION + "."],
        aims=["No experimentation: one scenario as it is, without variants, a design or optimisation."],
        scenarios=["None: a single scenario (its values in 3.3, those that differ from the packaged plan marked)."],
        estimation=[f"{s.n:,} independent replications, replication i seeded from (seed {s.seed}, i); the widest 95% "
                    f"half-width of a tier probability is {half:.3g}.", NOT_CHOSEN])


def sweep(view, config: "Config | None") -> Design:
    spec = view.spec
    axes = [f"{k} = {', '.join(map(str, values))}" for k, values in spec.grid.items()]
    axes += [f"{k} from {low:g} to {high:g}" for k, (low, high) in spec.ranges.items()]
    how = ("the Cartesian product of the grid" if spec.design == "grid"
           else f"{spec.samples} points of a {spec.design} design over the ranges"
           + (" crossed with the grid" if spec.grid else ""))
    precision = ([f"Replications were added in chunks until every tier probability's 95% half-width was at most "
                  f"{spec.precision:g} at every point, up to {spec.max_n or 'no limit'}: "
                  f"{view.replications_text()} per point."] if spec.precision is not None else [NOT_CHOSEN])
    return Design(
        purpose=f"A sweep: the plan's outcomes at {len(view.points):,} values of {', '.join(view.keys)}.",
        outputs=[f"At every point: {RUN_INTERVALS.format(bin=_bin(config))}, one row per point (table.csv).",
                 PER_REPLICATION + "."],
        aims=[f"(B) Design of experiments: {how} ({len(view.points):,} points), every point on the same "
              "replications (common random numbers), so a parameter moves the outcomes by its own effect only."],
        scenarios=["Each point is the scenario with the swept keys set to the point's values; nothing else differs."],
        varied=[f"Swept: {'; '.join(axes)}."],
        estimation=[f"{view.replications_text()} replications per point on seed {view.seed}, the same at every point.",
                    *precision],
        sampling=_design_seed(spec.design, view.seed) if spec.design != "grid" else [])


def compare(view, config: "Config | None") -> Design:
    reference = view.variants[0].name
    named = [f"{v.name}: {v.source or 'the scenario'}, setting {_keys(v.overrides)}" for v in view.variants]
    return Design(
        purpose=f"A comparison of {len(view.variants)} variants of the plan with the first, {reference}, on the "
                "same replications.",
        outputs=[f"For each variant, a run's statistics ({RUN_INTERVALS.format(bin=_bin(config))}); for each variant "
                 f"after {reference} and each tier, the paired difference in the probability of reaching it with "
                 "Newcombe's 95% interval for paired proportions, an exact McNemar p-value (Holm-adjusted across the "
                 "variants, per tier), the difference in median time to reach it, and how much narrower the paired "
                 "interval is than two independent runs would give.", PER_REPLICATION + "."],
        aims=["(A) Scenario-based analysis: " + "; ".join(named) + "."],
        scenarios=[],   # the differences of the variants' scenarios, computed from their files
        estimation=[f"{view.n:,} replications per variant on seed {view.seed}: every variant meets the same "
                    "replications (common random numbers), compared replication by replication.", NOT_CHOSEN])


def explore(view, config: "Config | None") -> Design:
    d = view.data
    return Design(
        purpose=f"An exploration: every tier probability and metric averaged over the uncertainty of "
                f"{len(d['inputs'])} inputs, and its spread.",
        outputs=["For every tier probability and metric: its mean over the uncertainty with a 95% interval for both "
                 "the sampling of the points and the replications; the 5, 25, 50, 75 and 95% quantiles of the "
                 "point-level values; the share of their spread that is Monte Carlo noise.", PER_REPLICATION + "."],
        aims=[f"(B) Design of experiments: {d['samples']:,} points drawn by {d['design']} from the distributions of "
              "the uncertain inputs (3.3), each run on the same replications."],
        scenarios=["Each point is the scenario with the uncertain inputs set to the point's values."],
        varied=["Uncertain: " + "; ".join(_inputs(d["inputs"])) + "."],
        data=_calibrated_sources(d["inputs"]),
        estimation=[f"{d['samples']:,} points x {view.n:,} replications on seed {view.seed}, the same replications at "
                    "every point: a crossed design, whose two-way analysis of variance gives the mean's variance, "
                    "(MS_points + MS_replications - MS_error) / (S N); the noise share is MS_error / MS_points. "
                    "Latencies and the final multiplier, not defined in every replication, use the points' spread.",
                    NOT_CHOSEN],
        sampling=_design_seed(d["design"], view.seed))


def sensitivity(view, config: "Config | None") -> Design:
    d = view.data
    method = ("Saltelli's design, Sobol' first-order and total indices with 95% bootstrap intervals"
              if d["method"] == "sobol" else "Morris screening (mu*, sigma, with bootstrap intervals of mu*)")
    from stress.jobs.sensitivity import DESIGN_KEY
    return Design(
        purpose=f"A sensitivity study: which of {len(d['inputs'])} uncertain inputs drive each tier probability "
                "and key metric.",
        outputs=[f"For each output and input: {method}, by SALib; each output's Monte Carlo noise (the points x "
                 "replications interaction) as a share of its variance" + (", and the Sobol' indices with it taken "
                 "out (*_denoised)" if d["method"] == "sobol" else "") + ".", PER_REPLICATION + "."],
        aims=[f"(B) Design of experiments: {method.split(',')[0]} with {d['base_samples']} base samples "
              f"({d['points']:,} points) over the uncertain inputs (3.3)."],
        scenarios=["Each point is the scenario with the uncertain inputs set to the point's values."],
        algorithms=["Sobol' indices from Saltelli's design (Saltelli 2002; Saltelli et al. 2010) or Morris's "
                    "elementary effects (Morris 1991; Campolongo et al. 2007), as SALib computes them."],
        varied=["Uncertain: " + "; ".join(_inputs(d["inputs"])) + "."],
        data=_calibrated_sources(d["inputs"]),
        estimation=[f"{d['points']:,} points x {view.data['n']:,} replications on seed {view.seed}, the same "
                    "replications at every point (so an input without effect has a total index of exactly 0).",
                    NOT_CHOSEN],
        sampling=[f"The design and SALib's bootstrap draw from SeedSequence({view.seed}, spawn_key=({DESIGN_KEY:#x}, "
                  "purpose)), apart from every replication's streams."])


def robust(view, config: "Config | None") -> Design:
    d, spec = view.data, view.manifest.get("robust", {})
    outcomes = ", ".join(f"{o['direction']} {o['name']}" for o in d["outcomes"])
    named = [f"{v['name']}: {_keys(v['assignments'])}" for v in d["variants"]]
    against = spec.get("adversary")
    from stress.discovery.regret import BOOTSTRAP, BOOTSTRAP_KEY
    return Design(
        purpose=f"A robustness study: which of {len(d['variants'])} variants of the plan holds up best across "
                f"{d['samples']:,} points of the uncertainty ({outcomes}).",
        outputs=["For each variant and outcome: the mean over the points (t-interval, the points as independent draws "
                 f"from the uncertainty), the mean of the worst 10% of points ({BOOTSTRAP:,} bootstrap resamples), "
                 "the regret against the best variant at each point (mean with a t-interval, 90th percentile and "
                 "maximum, each with the paired interval of its point: Newcombe's for a probability, the normal "
                 "interval of the replications' mean difference for a mean)"
                 + (", and the share of points meeting the criteria (Wilson interval)" if d.get("satisfice") else "")
                 + "; the variants no other beats at every point.", PER_REPLICATION + "."],
        aims=["(A) Scenario-based analysis of the variants " + "; ".join(named) + f", (B) each at {d['samples']:,} "
              f"points drawn by {d['design']} from the uncertain inputs"
              + (f", against the violators {', '.join(against)} (each outcome judged under the worst)"
                 if against else "")
              + (f"; criteria: {d['satisfice']}" if d.get("satisfice") else "") + "."],
        scenarios=[f"Variant {v['name']} sets {_keys(v['assignments'])} at every point; a key that is also uncertain "
                   "is held at the variant's value." for v in d["variants"]],
        varied=["Uncertain: " + "; ".join(_inputs(d["inputs"])) + "."],
        data=_calibrated_sources(d["inputs"]),
        estimation=[f"{d['samples']:,} points x {len(d['variants'])} variants x {view.n:,} replications on seed "
                    f"{view.seed}: common random numbers across points and variants.", NOT_CHOSEN],
        sampling=_design_seed(d["design"], view.seed) + [f"The bootstrap draws from SeedSequence({view.seed}, "
                                            f"spawn_key=({BOOTSTRAP_KEY:#x},))."])


def discover(view, config: "Config | None") -> Design:
    d, m = view.data, view.manifest
    from stress.discovery.stability import RESAMPLE_KEY
    method = ("PRIM (Friedman & Fisher 1999, by EMA Workbench)" if d["method"] == "prim"
              else "a CART classification tree (Breiman et al. 1984, by scikit-learn)")
    return Design(
        purpose=f"A scenario discovery: where in the inputs of {m.get('source_id', d['source'])} the cases of "
                f"interest, {d['target']}, concentrate. Nothing is simulated: it reads that result's points.",
        outputs=["The box (a limit per restricted input, with its quasi-p-value: a one-sided binomial test of the "
                 "box's density against the box without that limit, Bryant & Lempert 2010); its coverage and density "
                 "with 95% Wilson intervals over the points; the peeling trajectory; how often random halves of the "
                 "points restrict each input; how many points' 95% intervals straddle the target's threshold."],
        aims=[f"(C) A search of the input space by {method} for the box covering most cases at a density of at "
              f"least {d['threshold']:g}."],
        scenarios=[f"The scenarios are the points of {m.get('source_id', d['source'])} "
                   f"({a_kind(str(m.get('source_kind', 'result')))})."],
        varied=["Inputs analysed, with their range over the points: " + "; ".join(
            f"{r.input} {r.range_categories}" if r.range_categories else
            f"{r.input} {r.range_lower:g} to {r.range_upper:g}" for r in view.box.itertuples()) + "."],
        algorithms=[f"{method}; stability on {m.get('resamples', '?')} seeded random halves of the points."],
        estimation=[f"Each point's outputs are estimates from its {d['n']:,} replications (in the analysed result); "
                    + ("only points whose interval is clear of the threshold at confidence "
                       f"{d['confidence']:g} are classified." if d.get("confidence") is not None
                       else "every point is classified by its estimate; the noise counts above say how many may be "
                            "misclassified."), NOT_CHOSEN],
        sampling=[f"The random halves draw from SeedSequence({view.seed}, spawn_key=({RESAMPLE_KEY:#x},)); the "
                  "replications' seed is the analysed result's."])


def adversary(view, config: "Config | None") -> Design:
    d = view.data
    named = [f"{v['name']}: {_keys(v['assignments'])}" for v in d["variants"]]
    search = d.get("search")
    searched = ([f"(C) The violator's best response: {search['points']} evenly spaced values of {search['key']} from "
                 f"{search['low']:g} to {search['high']:g} (a grid search), the value that does the plan most harm "
                 "and those within paired noise of it."] if search else [])
    return Design(
        purpose=f"An adversary study: {_count(len(d['variants']), 'variant')} of the plan against violators that "
                f"read it ({', '.join(d['behaviours'])}), judged by {d['outcome']}.",
        outputs=[f"For each variant and behaviour: {d['outcome']} with its 95% interval (Wilson for a probability, "
                 "Student-t for a mean) and its paired difference from the blind violator (Newcombe's interval for "
                 "paired proportions, the t-interval of the replications' differences for a mean); the behaviour that "
                 f"does the plan most harm ({'highest' if d['worst'] == 'max' else 'lowest'} outcome) and those "
                 "within paired noise of it.", PER_REPLICATION + "."],
        aims=[f"(A) Scenario-based analysis: variants {'; '.join(named)} x behaviours {', '.join(d['behaviours'])}.",
              *searched],
        scenarios=[f"Variant {v['name']} sets {_keys(v['assignments'])}; each behaviour replaces the scenario's "
                   "violator (README, \"Violators that read the plan\")." for v in d["variants"]],
        varied=[f"Behaviours: {', '.join(d['behaviours'])}."] + ([f"Searched: {search['key']} from {search['low']:g} "
                                                                  f"to {search['high']:g}."] if search else []),
        estimation=[f"{view.n:,} replications per variant and behaviour on seed {view.seed}, the same for all (common "
                    "random numbers)." + (" The best of several noisy estimates is biased toward harm." if search
                                          else ""), NOT_CHOSEN])


def calibration(view, config: "Config | None") -> Design:
    d = view.data["data"]
    s = d["selection"]
    filters = "; ".join(f"{column} = {', '.join(map(str, values))}" for column, values in s.get("filters") or [])
    test = d.get("test_period")
    from stress.calibration.scenario import UCDP_CITATION, _data_name
    data = [f"Event data: {_data_name(s['source'])} (format {s['format']}, time column {s['time_column']}"
            + (f", count column {s['count_column']}" if s.get("count_column") else "")
            + f"): {s['rows_read']:,} rows read, {s['rows_selected']:,} selected; fitting period "
            f"{d['period']['start']} to {d['period']['end']}, {d['events']:,} events"
            + (f"; test period {test['start']} to {test['end']}, {d['test_events']:,} events" if test else "") + "."]
    if s["format"] == "ucdp":
        data.append(f"{UCDP_CITATION}.")
    pre = [f"Filters: {filters or 'none'}."]
    if s.get("dropped_imprecise"):
        pre.append(f"{s['dropped_imprecise']:,} events dated less precisely than to the day were left out.")
    if s.get("empty_count_cells"):
        pre.append(f"{s['empty_count_cells']:,} empty count cells were read as 0 events.")
    if d.get("ties"):
        pre.append(f"Ties: {d['ties']}.")
    return Design(
        purpose="A calibration: the breach process fitted to an event log by maximum likelihood, its fit tested "
                "and validated out of sample, and written into a scenario (scenario.toml).",
        outputs=["Each model's parameters with standard errors from the observed information and 95% profile-"
                 "likelihood intervals (Poisson: exact); log-likelihood and AIC; a likelihood-ratio test of no "
                 "self-excitation (50:50 chi-square mixture and a parametric bootstrap); the time-rescaling KS test; "
                 "weekly counts' variance/mean against simulations of the fit; with a test period, the predictive "
                 "coverage of its weekly counts and a PIT histogram."],
        aims=["No experimentation: the breach process is estimated, not varied."],
        scenarios=["None."],
        algorithms=["Hawkes log-likelihood by the O(n) recursion, maximised from several starts; the fit's "
                    "simulations run on the engines' own breach clock."],
        data=data, preprocessing=pre,
        estimation=["Maximum likelihood; events known only to the day fitted as seeded jittered copies, the "
                    "spread across copies added by Rubin's rules; goodness of fit and predictions by simulating "
                    "the fitted process."],
        sampling=[f"Seed {view.seed} seeds the jittered copies, the bootstrap and the simulations of the fit "
                  "(numpy PCG64, each from its own SeedSequence spawn key)."],
        model="A calibration simulates only the breach process (the first component below); the rest is the "
              "scenario its scenario.toml runs with stress run.",
        initialisation=["The goodness-of-fit simulations start at the fitted process's stationary mean excitation, "
                        "mu n / (1 - n), since the data start mid-process; the out-of-sample ones from the "
                        "excitation the fitting period's events leave. (A run of scenario.toml starts at t = 0 with "
                        "none, as every run does.)"],
        run_length=[f"Each simulation covers the fitting period ({d['period']['start']} to {d['period']['end']})"
                    + (f" or the test period ({test['start']} to {test['end']})" if test else "")
                    + f", counted in whole {d['period_label']}s; {_simulations(view)} simulations of each model."])


def _simulations(view) -> str:
    """How many times the fit was simulated: the option given, else calibrate's default."""
    import inspect
    from stress.calibration import calibrate
    given = (view.manifest.get("options") or {}).get("simulations")
    return f"{given if given is not None else inspect.signature(calibrate).parameters['simulations'].default:,}"


def optimize(view, config: "Config | None") -> Design:
    d = view.data
    from stress.jobs.optimize import FINAL_KEY, RACING_KEY
    from stress.optimization.search import SEARCH_KEY
    objectives = ", ".join(f"{o['direction']} {o['name']}" for o in d["objectives"])
    levers = "; ".join(lever["text"] for lever in d["levers"])
    constraints = "; ".join(d.get("constraints") or []) or "none"
    spent = d["replications"]
    over = ([f"each candidate at the same {d['samples']:,} points drawn by {d['design']} from the uncertain inputs, "
             "its objectives robustness measures over them"] if d.get("over_uncertainty") else [])
    return Design(
        purpose=f"An optimisation: the values of {levers} that give the best trade-offs between {objectives}, "
                f"under the constraints {constraints}.",
        outputs=["For each member of the final front, re-evaluated on fresh replications: its levers, each objective "
                 "with its 95% interval, the paired bootstrap probability that another member dominates it, whether "
                 "it meets the constraints and in what share of the draws; the front's hypervolume with a "
                 "conservative interval (a simultaneous box around the members' objectives); the knee.",
                 PER_REPLICATION + "."],
        aims=[f"(C) Optimisation: NSGA-II (pymoo) over the levers, {d['candidates']:,} candidates in "
              f"{d['generations']} generations (stopped because {d['stop']}), racing replications to the candidates "
              "whose place on the front or at a constraint is in doubt" + (", " + over[0] if over else "") + "."],
        scenarios=["Each candidate is the scenario with the levers set to its values; nothing else differs."],
        varied=[f"Levers: {levers}."] + (["Uncertain: " + "; ".join(_inputs(d["inputs"])) + "."]
                                         if d.get("over_uncertainty") else []),
        algorithms=["NSGA-II (Deb et al. 2002, by pymoo); racing on a paired Poisson bootstrap of the replications "
                    "(Hanley & MacGibbon 2006); dominance and hypervolume of the final front on fresh replications."],
        estimation=[f"{d['n']:,} replications per new candidate, up to {d.get('max_n') or 'the budget'} by racing, "
                    f"{d['final_n']:,} fresh ones per member of the final front; {spent['used']:,} of the "
                    f"{spent['max']:,} replications allowed were used ({spent['search']:,} by the search), all on "
                    f"seed {view.seed} (common random numbers)."],
        sampling=[f"The search draws from SeedSequence({view.seed}, spawn_key=({SEARCH_KEY:#x},)); the racing's "
                  f"bootstrap weights from spawn key {RACING_KEY:#x}, the final front's from {FINAL_KEY:#x}."]
                 + (_design_seed(d["design"], view.seed) if d.get("over_uncertainty") else []))
