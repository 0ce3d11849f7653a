"""Reproducibility: a record is a pure function of (config, seed, replication)."""


import stress
from stress.engines import simulate_chunk
from stress.model.params import compile_params
from stress.engines.simpy.replication import simulate

from conftest import make_config, same_records


def test_same_seed_same_records_for_one_and_two_workers(tmp_path):
    cfg = make_config()
    one = stress.run(cfg, n=2500, seed=11, workers=1, keep_records=True)
    two = stress.run(cfg, n=2500, seed=11, workers=2, keep_records=True)
    assert one.records.equals(two.records)
    assert one.summary.to_json() == two.summary.to_json()


def test_different_seed_gives_different_records():
    cfg = make_config()
    a = stress.run(cfg, n=200, seed=1, workers=1, keep_records=True).records
    b = stress.run(cfg, n=200, seed=2, workers=1, keep_records=True).records
    assert not a.drop(columns="replication").equals(b.drop(columns="replication"))


def test_a_replication_does_not_depend_on_its_neighbours():
    cfg = make_config()
    params, names = compile_params(cfg), [c.name for c in cfg.breaches.classes]
    block = simulate_chunk("fast", params, 5, 100, 50)
    alone = simulate(params, names, 5, 130)
    assert same_records(block[30:31], alone[None, :])


def test_policy_only_variants_meet_the_same_breaches():
    # common random numbers: without feedback, changing a rule leaves the breach
    # process and the monitoring untouched, replication by replication
    no_feedback = ("tier1.rate_factor=1", "tier2.rate_factor=1", "tier3.rate_factor=1")
    a = stress.run(make_config(*no_feedback), n=500, seed=3, workers=1, keep_records=True).records
    b = stress.run(make_config(*no_feedback, "tier2.threshold=5", "tier3.delay_hours=24"),
                   n=500, seed=3, workers=1, keep_records=True).records
    for column in ("breaches", "breaches_major", "detected", "reports", "false_reports"):
        assert a[column].equals(b[column])
    assert not a["tier2_hours"].equals(b["tier2_hours"])


def test_default_scenario_engines_agree_record_for_record():
    cfg = make_config()
    params = compile_params(cfg)
    assert same_records(simulate_chunk("fast", params, 9, 0, 300),
                        simulate_chunk("simpy", params, 9, 0, 300))
