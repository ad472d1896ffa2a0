"""Task handlers of the ``high-value-order-flow`` state machine (fraud, credit, inventory, account manager)."""
