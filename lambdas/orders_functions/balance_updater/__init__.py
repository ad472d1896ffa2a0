"""Consumer of the ``balance-updates.fifo`` queue."""
