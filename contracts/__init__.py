"""The published contracts the service is held to: Maventa's OpenAPI and Netvisor's DTDs (docs/fidelity.md).

The files are verbatim copies with their source (`maventa/SOURCE.md`, `netvisor/SOURCE.md`); the modules here
turn them into checks that the client's tests and both sandboxes run.
"""
