"""Analysis over replications: headline indicators, paired comparisons, replication counts."""
