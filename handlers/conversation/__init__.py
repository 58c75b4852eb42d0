"""What every capability's conversation is made of: the neutral vocabulary, the router,
reading words, and the main menu. No capability lives here."""
