"""The web app: webhooks, signed APIs, media links and the health check (bot/web/app.py)."""

from bot.web.app import create_app

__all__ = ["create_app"]
