"""Performance monitoring: counters into rates and utilisation, samples and rollups, thresholds, the poller."""
