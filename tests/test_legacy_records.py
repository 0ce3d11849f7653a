"""Plans in the first form ([tier1], [tier2], [tier3]) behave exactly as before plans
became data: every record column equals, bit for bit, the one the three-tier code wrote
(hashes in tests/data/legacy_records.json, made by tests/make_legacy_reference.py at
commit 0785dcf: ``git show 0785dcf:tests/make_legacy_reference.py``), for every shipped
config on both engines, three option-heavy variants and 150 random legacy configs.

Some columns have new names, and two flags are now read off a tier's time."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from stress.config.loading import load_config, validate
from stress.engines import simulate_chunk
from stress.model import records
from stress.model.params import compile_params

from conftest import ROOT

REFERENCE = json.loads((ROOT / "tests" / "data" / "legacy_records.json").read_text())
# old column -> the new column that holds it
RENAMED = {"forces_arrived_hours": "tier2_arrived_hours", "warnings": "tier1_times_reached",
           "military_responses": "tier1_responses", "backstop_joined": "tier3_partner_joined",
           "mean_response_latency_hours": "tier1_latency_hours"}
# old flags now read off a tier's time: reached (not NaN) or not
REACHED = {"tier2_deployed": "tier2_hours", "tier3_initiated": "tier3_hours"}


def old_columns(values: np.ndarray, layout: records.Layout, old_names) -> dict[str, str]:
    index = layout.index
    out = {}
    for name in old_names:
        if name in REACHED:
            column = (~np.isnan(values[:, index[REACHED[name]]])).astype(np.float64)
        else:
            column = values[:, index[RENAMED.get(name, name)]]
        canonical = np.where(np.isnan(column), np.nan, column)
        out[name] = hashlib.sha256(np.ascontiguousarray(canonical).tobytes()).hexdigest()[:20]
    return out


def check(config, case) -> None:
    values = simulate_chunk(case["engine"], compile_params(config), case["seed"], 0, case["n"])
    got = old_columns(values, records.layout(config), case["hashes"])
    differ = [name for name in case["hashes"] if got[name] != case["hashes"][name]]
    assert not differ, f"columns that differ from the three-tier code's: {differ}"


@pytest.mark.parametrize("case", REFERENCE["shipped"], ids=lambda c: f"{c['config']}-{c['engine']}")
def test_every_shipped_config_gives_the_records_it_gave(case):
    check(load_config(ROOT / "configs" / case["config"]), case)


@pytest.mark.parametrize("case", REFERENCE["overridden"], ids=lambda c: f"{c['config']}-{len(c['overrides'])}-{c['engine']}")
def test_option_heavy_variants_give_the_records_they_gave(case):
    check(load_config(ROOT / "configs" / case["config"], case["overrides"]), case)


def test_random_legacy_configs_give_the_records_they_gave():
    for i, case in enumerate(REFERENCE["random"]):
        config = validate(case["raw"], f"<legacy case {i}>")
        try:
            check(config, case)
        except AssertionError as exc:
            raise AssertionError(f"case {i}: {exc}") from None
