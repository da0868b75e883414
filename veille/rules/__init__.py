"""Pure statistics of the alert rules: spikes, names near each other, names back after a silence."""
