"""balance-reconciliation: a long-running worker that checks each account's balance against its ledger."""
