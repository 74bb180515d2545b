"""The ledger export (台账): one row per responsibility of a plan for a period, as xlsx or CSV."""
