"""The server watching itself (docs/operations.md): event-loop lag, JSON log lines with the
contact and agent in hand, and the Prometheus collector's sources."""
