"""Per-resident outcomes (the ledger) and their summaries by group."""
