"""The HTTP API for Netvisor and customer service (§7); `create_app` in app.py builds it."""
