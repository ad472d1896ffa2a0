"""Replay a time window of the orders archive to the bus."""
