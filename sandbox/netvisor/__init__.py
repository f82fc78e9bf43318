"""A faithful local stand-in for Netvisor's XML API (§8.2)."""

from sandbox.netvisor.app import create_app
from sandbox.netvisor.config import NetvisorSandboxConfig

__all__ = ["NetvisorSandboxConfig", "create_app"]
