"""Operators' view of the service: log context, secret redaction, interceptors and `maventa_*` metrics."""
