"""A tiny Django app whose model lacks PII annotations: the PII check must fail on it."""
