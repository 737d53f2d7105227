"""dial: call any phone number from the browser, paid from prepaid credit."""
