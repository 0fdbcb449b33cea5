"""Running scenarios: one run, comparisons and batch sweeps."""
