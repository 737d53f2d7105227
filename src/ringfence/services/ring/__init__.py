"""ring: a page that rings your own phone so you can find it, anonymous and abuse-proof."""
