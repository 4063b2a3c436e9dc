"""Routing errors. Each carries the HTTP status the adapter should answer with."""

from __future__ import annotations


class RoutingError(Exception):
    """Base class of routing domain errors."""

    status_code = 400


class PolicyError(RoutingError, ValueError):
    """The routing policy (config/routing.yaml) is invalid.

    The message names the place: ``rule 'vip' step 2: unknown target 'teem'``.
    """

    status_code = 422


class InvalidContact(RoutingError, ValueError):
    """The contact cannot be routed as given (bad channel, unknown queue, bad skills)."""

    status_code = 422


class UnknownContact(RoutingError, LookupError):
    """No routed contact has this id (already ended, or never arrived)."""

    status_code = 404


class DuplicateContact(RoutingError):
    """A contact with this id is already being routed."""

    status_code = 409


class UnknownAgent(RoutingError, LookupError):
    """No agent with this id has logged in."""

    status_code = 404


class OfferNotOpen(RoutingError):
    """The offer being answered is not (or no longer) open: expired, withdrawn or for
    another agent."""

    status_code = 409


class ContactNotWaiting(RoutingError):
    """The contact is in an agent's hands: what only a waiting contact allows (a supervisor
    raising its priority) is refused."""

    status_code = 409
