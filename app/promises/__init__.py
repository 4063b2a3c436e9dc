"""Promises made to customers (docs/promises.md): recorded, shown first, escalated once past
due, kept or broken on the record."""
