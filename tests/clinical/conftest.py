"""tests/clinical needs no database: these are pure functions."""
