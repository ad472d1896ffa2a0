"""Consumer of the ``payment-processing`` queue (order.created and order.cancelled with an amount)."""
