"""Conversation handlers: one module per capability, each with its own router."""

from __future__ import annotations

from handlers.conversation.router import Router


def router() -> Router:
    """Every capability's router, included in one place; earlier ones win a shared word."""
    from handlers import (
        appointments,
        card,
        experiences,
        help,
        history,
        person,
        preferences,
        previews,
        rewards,
        start,
        visit,
        zones,
    )  # fmt: skip

    combined = Router()
    for module in (
        start, history, rewards, experiences, card, previews, appointments, preferences, zones,
        person, visit, help,
    ):  # fmt: skip
        combined.include(module.router)
    return combined
