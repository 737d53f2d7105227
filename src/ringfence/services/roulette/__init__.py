"""roulette: anonymous random voice chat with strangers, matched by country, nothing stored."""
