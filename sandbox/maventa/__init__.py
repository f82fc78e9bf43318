"""A local stand-in for Maventa's AutoXChange REST API, faithful to docs/facts/maventa.md."""

from sandbox.maventa.app import create_app
from sandbox.maventa.config import MaventaSandboxConfig

__all__ = ["MaventaSandboxConfig", "create_app"]
