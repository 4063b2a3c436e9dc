"""An offer card's customer value is put in words where it leaves, in each reader's language:
built once without words (the notifier's cards), rendered per socket, and the offer and the
accepted contact that carry the same card get the same words without rendering twice."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from app.contacts import messages
from app.contacts.messages import localize
from app.customers.grades import value_out
from app.grading import CustomerStats, GradingConfig, grade_base

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def _card() -> dict[str, Any]:
    stats = CustomerStats(1, datetime(2024, 1, 1, tzinfo=UTC), 3, NOW, NOW, 900.0, 900.0, 3)
    (value,), _ = grade_base([stats], GradingConfig.default(), NOW)
    row = mock.Mock(spec=[*value.__dataclass_fields__, "customer_id"], customer_id=1)
    for name in value.__dataclass_fields__:
        setattr(row, name, getattr(value, name))
    worded = value_out(row, None)  # as the notifier builds a card: no words yet
    assert worded.grade_reason == "" and worded.reasons["grade"]["code"]
    return {"customer": {"id": 1, "value": worded.model_dump(mode="json")}}


def test_each_reader_gets_the_value_in_their_language_once_per_card() -> None:
    card = _card()
    offer = {"type": "offer", **card}
    assigned = {"type": "contact.assigned", **card}
    with mock.patch.object(
        messages, "render_value_reasons", wraps=messages.render_value_reasons
    ) as render:
        zh = localize(offer, "zh")["customer"]["value"]
        en = localize(offer, "en")["customer"]["value"]
        assert localize(assigned, "zh")["customer"]["value"] == zh
        assert localize(assigned, "en")["customer"]["value"] == en
    assert render.call_count == 2  # once per language, not per message
    assert re.search(r"[\u4e00-\u9fff]", zh["grade_reason"])
    assert en["grade_reason"] and en["grade_reason"] != zh["grade_reason"]
    assert card["customer"]["value"]["grade_reason"] == ""  # the shared card is not changed
    # A new card (a new screen pop) is rendered anew, never taken for an old one's words.
    other = _card()
    assert localize({"type": "offer", **other}, "en")["customer"]["value"] == en
    assert other["customer"]["value"] is not card["customer"]["value"]
