"""Secrets at rest and payload encryption, both keyed from SECRETS_KEY."""
