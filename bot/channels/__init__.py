"""Channel adapters: the only code that knows Telegram, WhatsApp or the terminal."""
