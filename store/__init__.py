"""The service's database: the companies projection, the ledgers, the secrets vault; SQLite or PostgreSQL."""
