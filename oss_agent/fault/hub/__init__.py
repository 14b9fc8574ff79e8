"""The event hubs (TMF642 alarms, TMF639 resources): outbox events delivered to subscribers, surviving restarts."""

from oss_agent.fault.hub.dispatcher import Dispatcher, DispatcherSettings, run_dispatcher

__all__ = ["Dispatcher", "DispatcherSettings", "run_dispatcher"]
