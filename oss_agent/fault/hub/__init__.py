"""The TMF642 alarm event hub: the outbox's events delivered to subscribers, surviving restarts."""

from oss_agent.fault.hub.dispatcher import Dispatcher, DispatcherSettings, run_dispatcher

__all__ = ["Dispatcher", "DispatcherSettings", "run_dispatcher"]
