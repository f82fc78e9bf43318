"""The HTTP API for Netvisor and customer service (SPEC §7); `create_app` in app.py builds it."""
