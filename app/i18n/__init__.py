"""Text at the edge: messages (codes and facts) rendered in the reader's language.

The core (``routing/``, ``app/grading/``) says what happened as codes and facts
(:mod:`routing.messages`); what is stored is those. Words are chosen here, where a message
leaves the server: the agent's language on ``/ws/agent``, ``?lang=`` or ``Accept-Language``
over HTTP. A language is a catalog (:mod:`app.i18n.catalogs`); free codes (queues, rules,
skills, break reasons, ...) get display names from ``config/names.yaml`` (:mod:`.names`).
"""

from app.i18n.catalogs import CATALOGS, add_catalog, languages
from app.i18n.language import pick_language
from app.i18n.names import Names, current_names, install_names, load_names
from app.i18n.render import (
    display_name,
    render_explanation,
    render_log,
    render_message,
    render_value_reasons,
)

__all__ = [
    "CATALOGS",
    "Names",
    "add_catalog",
    "current_names",
    "display_name",
    "install_names",
    "languages",
    "load_names",
    "pick_language",
    "render_explanation",
    "render_log",
    "render_message",
    "render_value_reasons",
]
