"""Kinds of job, each a small module on the one pipeline (``stress.jobs.pipeline``);
``stress.kinds`` names each kind's job."""
