"""Concierge conversation handlers: one module per capability (card, previews, appointments)."""
