"""Discovery and the resource inventory: collect every device, crawl LLDP, version configurations.

Import the modules you need (``oss_agent.discovery.service``, ``.normalize``, ``.topology``): this
package module imports nothing, so the pure parts (the normalizer used by the handlers) never pull
in the wiring.
"""
