"""Rule violations in the domain; subclasses of the agent's one error root live in oss_agent.errors.

The domain may import only the standard library, so its root is defined here and re-exported by
``oss_agent.errors`` as part of the single tree.
"""


class DomainError(Exception):
    """A request broke a rule of the domain (an invalid state change, an unknown object)."""


class InvalidTransitionError(DomainError):
    """A state machine was asked for a change its rules forbid."""


class NotFoundError(DomainError):
    """The object asked for does not exist."""
