"""The support console: customer service's pages under /support/ (docs/support.md)."""
