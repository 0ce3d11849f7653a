"""Hostile config values: whatever numbers a config holds (subnormals, 1e-300, 1e300,
zeros, negatives), `stress run` completes within its budget or refuses them with exit
code 2 and a message; it never hangs, never tracebacks, never grows without bound."""

import os
import subprocess
import sys
import tempfile

from hypothesis import given, settings
from hypothesis import strategies as st

KEYS = ("scenario.horizon_days", "breaches.baseline_per_day", "breaches.self_excitation", "breaches.decay_hours",
        "monitoring.delay_median_hours", "monitoring.delay_spread", "monitoring.false_reports_per_day",
        "feedback.max_multiplier", "feedback.half_life_days", "tier1.rate_factor", "tier2.rate_factor",
        "tier3.rate_factor", "tier2.window_days", "tier2.threshold", "tier3.delay_hours",
        "tier3.stand_down_per_day", "tier3.objective_median_hours", "tier1.response_within_hours")
EXTREMES = ("5e-324", "1e-300", "1e-12", "0", "0.5", "1", "2", "1e6", "1e300", "-1", "inf", "nan")
MEMORY_MIB = 2048


@settings(max_examples=int(os.environ.get("STRESS_FUZZ_EXAMPLES", "12")), deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(KEYS), st.sampled_from(EXTREMES), min_size=1, max_size=4))
def test_extreme_values_complete_or_are_refused(values):
    sets = [a for key, value in values.items() for a in ("--set", f"{key}={value}")]
    with tempfile.TemporaryDirectory() as folder:
        # a small budget: what is estimated to take longer is refused (exit 2), the rest runs
        process = subprocess.Popen([sys.executable, "-m", "stress", "run", "-n", "200", "--no-records",
                                    "--budget", "0.02", *sets],
                                   cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            _, status, usage = os.wait4(process.pid, 0) if _finishes(process, 180) else (None, None, None)
        finally:
            if process.poll() is None:
                process.kill()
        assert status is not None, f"hung: {values}"
        err = process.stderr.read()
        code = os.waitstatus_to_exitcode(status)
        assert code in (0, 2) and "Traceback" not in err, (values, code, err)
        assert usage.ru_maxrss / 1024 < MEMORY_MIB, (values, usage.ru_maxrss)
        if code == 2:
            assert err.startswith("error: ") and len(err.splitlines()) <= 4, err


def _finishes(process: subprocess.Popen, seconds: float) -> bool:
    """Whether the process ends within ``seconds`` (without reaping it: wait4 does)."""
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.05)
    return False
