"""Every kind of result is declared once (``stress.kinds``), and each of its parts is
what the generic code needs of it."""

from __future__ import annotations

import pytest

from stress import kinds
from stress.jobs.pipeline import Job

from conftest import run_cli


@pytest.mark.parametrize("name", kinds.NAMES)
def test_each_kind_has_a_reader_an_output_and_its_job_where_it_has_one(name):
    kind = kinds.REGISTRY[name]
    assert kind.name == name
    assert isinstance(kinds.reader(name), kinds.Reader)
    assert isinstance(kinds.output(name), kinds.Output), f"{kind.output} lacks a function of stress.kinds.Output"
    if kind.job is None:
        assert name not in kinds.RESUMABLE
        with pytest.raises(KeyError):
            kinds.job_class(name)
    else:
        job = kinds.job_class(name)
        assert issubclass(job, Job) and isinstance(job, kinds.Job) and job.kind == name
        assert name in kinds.RESUMABLE


def test_a_module_without_an_output_function_is_not_an_output():
    import types
    partial = types.SimpleNamespace(title=lambda view: "", headline=lambda view: "")
    assert not isinstance(partial, kinds.Output)


def test_the_commands_that_read_results_name_every_kind_that_makes_one():
    done = run_cli("show", "--help")
    text = " ".join(done.stdout.split())
    for kind in kinds.REGISTRY.values():
        assert kind.made_by in text


@pytest.mark.parametrize("name", kinds.NAMES)
def test_each_kind_says_what_its_study_did(name):
    assert isinstance(kinds.design(name), kinds.Design)
