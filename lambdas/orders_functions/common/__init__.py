"""Code shared by the orders handlers and tools: producing messages, backoff, dead-lettering."""
