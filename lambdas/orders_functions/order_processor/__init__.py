"""Consumer of the ``order-processing`` queue."""
