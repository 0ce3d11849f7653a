"""A tier that is not present: the plan without it, on both engines, still paired with
the plan that has it."""

import numpy as np

from stress.config.loading import load_config
from stress.engines import simulate_chunk
from stress.model import records
from stress.model.params import compile_params

from conftest import ROOT, same_records

FOUR = (ROOT / "configs" / "four-tier.toml").read_text(encoding="utf-8")
# sanctions draws nothing of its own here, so the plan without it draws what the
# three-tier plan draws, report by report
DRAWLESS = FOUR.replace("decision_probability = 0.7", "")


def _records(text: str, tmp_path, name: str, engine: str, n: int = 300, seed: int = 7):
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    params = compile_params(load_config(path))
    return simulate_chunk(engine, params, seed, 0, n), records.layout(load_config(path)).names


def test_an_absent_tier_gives_the_plan_without_it_on_both_engines(tmp_path):
    absent = DRAWLESS.replace('name = "sanctions"\n', 'name = "sanctions"\npresent = false\n')
    start = DRAWLESS.rindex("[[tiers]]", 0, DRAWLESS.index('name = "sanctions"'))
    end = DRAWLESS.index("[[tiers]]", start + 1)
    removed = (DRAWLESS[:start] + DRAWLESS[end:]).replace('after = "sanctions"', 'after = "tier1"')
    fast, names = _records(absent, tmp_path, "absent", "fast")
    assert same_records(fast, _records(absent, tmp_path, "absent", "simpy")[0])
    without, without_names = _records(removed, tmp_path, "removed", "fast")
    assert np.isnan(fast[:, names.index("sanctions_hours")]).all()
    for column, name in enumerate(without_names):
        if name != "highest_tier":   # a tier's number in its plan: the absent one still has one
            assert same_records(fast[:, names.index(name)], without[:, column]), name
    by_name = lambda values, tiers: [(["none"] + tiers)[int(h)] for h in values]  # noqa: E731
    assert by_name(fast[:, names.index("highest_tier")], ["tier1", "sanctions", "tier2", "tier3"]) == \
        by_name(without[:, without_names.index("highest_tier")], ["tier1", "tier2", "tier3"])
    # the plan with the tier present differs (it gates the deployment)
    present, _ = _records(DRAWLESS, tmp_path, "present", "fast")
    assert not same_records(present[:, names.index("tier2_hours")], fast[:, names.index("tier2_hours")])
