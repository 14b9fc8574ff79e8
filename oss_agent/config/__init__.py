"""Configuration: agent settings and the device inventory, both YAML validated with pydantic."""

from oss_agent.config.inventory import DeviceConfig, Inventory, load_inventory
from oss_agent.config.secrets import SecretRef
from oss_agent.config.settings import AgentSettings, load_settings

__all__ = ["AgentSettings", "DeviceConfig", "Inventory", "SecretRef", "load_inventory", "load_settings"]
