"""Consumer of the ``notification-service`` queue: public order events become notification records."""
