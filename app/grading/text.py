"""Wording of the reasons, in English and Chinese: a catalog of sentence templates.

Every reason is rendered in both languages from the same facts by :func:`say` (a
:class:`routing.catalog.Catalog`, pure like this package): numbers go into both templates with
the same format spec, so the English and Chinese sentences always carry the same figures. A
fact that itself needs words (a grade name, a day count) is given as a :class:`Text` and each
language picks its own side.
"""

from __future__ import annotations

from routing.catalog import EMPTY, Catalog, Text, join

__all__ = [
    "EMPTY",
    "Text",
    "days",
    "grade",
    "join",
    "measure",
    "money",
    "say",
    "stage",
    "top_percent",
]


EN: dict[str, str] = {
    # grade (pyramid)
    "grade.head": "{grade}: 12-month {measure} {value}",
    "grade.at_threshold": "{head} ≥ {grade} threshold {limit}",
    "grade.below_threshold": "{head} below {above} threshold {limit}",
    "grade.ranked": "{head}, rank {rank:,} of {size:,} ({top})",
    "grade.placed": "{head}, {placed}",
    "grade.placed_by": "placed by the {date} snapshot ({grade}{start})",
    "grade.placed_from": " from {value}",
    "grade.prospect": "{grade}: no purchases yet (customer since {date})",
    "grade.override": "{grade} (manual override by {by}{term}: {why}); computed: {computed}",
    "grade.override_until": " until {when}",
    "grade.override_ignored": "{reason}; override to {grade!r} by {by} ignored: unknown grade",
    # RFM
    "rfm": (
        "R{r} F{f} M{m}: last purchase {ago} ago, {count:,} purchase{s} "
        "and {measure} {value} ({span})"
    ),
    "rfm.12m": "in 12 months",
    "rfm.all": "all time",
    "rfm.none": "no purchases yet",
    # CLV
    "clv": (
        "CLV {value} over {years} year{s}: yearly {measure} {yearly} × P(active) {p:.2f} "
        "(last purchase {ago} ago, usual interval {interval}), retention {q:.2f}/year, "
        "discount {d:g} %/year"
    ),
    "clv.none": "CLV 0: no purchase history",
    # lifecycle
    "stage.prospect": "{stage}: no purchases yet",
    "stage.lapsed": "{stage}: no purchase for {ago}, {x:.1f}× the usual interval of {interval}",
    "stage.trend": (
        "{recent} purchase{s} in the last {window} days vs {base} in the {observed:.0f} days "
        "before (rate ×{f:.2f}{value})"
    ),
    "stage.trend_value": ", value ×{v:.2f}",
    "stage.declining": "{stage}: {trend}",
    "stage.exploring": "{stage}: {n} purchase{s}, the first {tenure} ago",
    "stage.growing": "{stage}: growing, {trend}",
    "stage.steady": "{stage}: steady, {trend}",
    "stage.young": (
        "{stage}: {n} purchases since the first {tenure} ago, too young for a baseline"
    ),
    "stage.long": "{stage}: {n} purchases over {tenure}, usual interval {interval}",
    # churn
    "churn": "churn risk {risk:.2f}: {factors}",
    "churn.none": "churn risk {risk:.2f}: no risk factors",
    "churn.recency": "no purchase for {ago} ({x:.1f}× the usual {interval})",
    "churn.decline": "declining against own history",
    "churn.open": "{n} open complaint(s)",
    "churn.complaints": "{n} complaint(s) in 12 months",
    "churn.ratings": "{low} of {count} ratings <= {max}",
    "top": "top {pct} %",
}

ZH: dict[str, str] = {
    "grade.head": "{grade}：近 12 个月{measure} {value}",
    "grade.at_threshold": "{head}，达到{grade}门槛 {limit}",
    "grade.below_threshold": "{head}，低于{above}门槛 {limit}",
    "grade.ranked": "{head}，在 {size:,} 位客户中排名第 {rank:,}（{top}）",
    "grade.placed": "{head}，{placed}",
    "grade.placed_by": "按 {date} 的快照定级（{grade}{start}）",
    "grade.placed_from": "，{value} 起",
    "grade.prospect": "{grade}：尚无购买记录（{date} 建档）",
    "grade.override": "{grade}（{by} 手动指定{term}，原因：{why}）；系统计算：{computed}",
    "grade.override_until": "，有效期至 {when}",
    "grade.override_ignored": "{reason}；{by} 指定的等级 {grade!r} 无效，已忽略",
    "rfm": ("R{r} F{f} M{m}：最近一次购买在 {ago}前，{span}购买 {count:,} 次，{measure} {value}"),
    "rfm.12m": "近 12 个月",
    "rfm.all": "累计",
    "rfm.none": "尚无购买记录",
    "clv": (
        "客户终身价值 {value}（未来 {years} 年）：年均{measure} {yearly} × 活跃概率 {p:.2f}"
        "（最近一次购买在 {ago}前，通常购买间隔 {interval}），年留存率 {q:.2f}，"
        "年贴现率 {d:g}%"
    ),
    "clv.none": "客户终身价值 0：尚无购买记录",
    "stage.prospect": "{stage}：尚无购买记录",
    "stage.lapsed": "{stage}：已 {ago}未购买，是通常购买间隔 {interval}的 {x:.1f} 倍",
    "stage.trend": (
        "近 {window} 天购买 {recent} 次，此前 {observed:.0f} 天购买 {base} 次"
        "（购买频率为此前的 {f:.2f} 倍{value}）"
    ),
    "stage.trend_value": "，金额为 {v:.2f} 倍",
    "stage.declining": "{stage}：{trend}",
    "stage.exploring": "{stage}：共购买 {n} 次，首次购买在 {tenure}前",
    "stage.growing": "{stage}：持续增长，{trend}",
    "stage.steady": "{stage}：保持平稳，{trend}",
    "stage.young": "{stage}：首次购买至今 {tenure}，共购买 {n} 次，关系尚短，暂无可比基线",
    "stage.long": "{stage}：{tenure}内共购买 {n} 次，通常购买间隔 {interval}",
    "churn": "流失风险 {risk:.2f}：{factors}",
    "churn.none": "流失风险 {risk:.2f}：无风险因素",
    "churn.recency": "已 {ago}未购买（是通常间隔 {interval}的 {x:.1f} 倍）",
    "churn.decline": "与自身历史相比呈下降趋势",
    "churn.open": "{n} 件投诉未结",
    "churn.complaints": "近 12 个月投诉 {n} 次",
    "churn.ratings": "{count} 次评价中有 {low} 次不高于 {max} 分",
    "top": "前 {pct}%",
}

GRADES_ZH = {
    "vip": "贵宾",
    "key": "重要客户",
    "ordinary": "普通客户",
    "small": "小客户",
    "prospect": "潜在客户",
}
"""The console's names for the default grades (``app/web/shared/i18n.js``); others stay as set."""

STAGES_ZH = {
    "exploration": "考察期",
    "formation": "形成期",
    "stable": "稳定期",
    "decline": "退化期",
}
"""Lifecycle stages as the console names them (``app/web/shared/i18n.js``)."""

MEASURES_ZH = {"margin": "毛利", "revenue": "营收"}

say = Catalog(EN, ZH).say


def grade(name: str) -> Text:
    """A grade's name (a configured tier name without a Chinese name stays as configured)."""
    return Text(name, GRADES_ZH.get(name, name))


def stage(name: str) -> Text:
    return Text(name, STAGES_ZH.get(name, name))


def measure(name: str) -> Text:
    """``margin`` / ``revenue``."""
    return Text(name, MEASURES_ZH.get(name, name))


def money(value: float, currency: str) -> str:
    """``¥84,200`` / ``-¥1,250``: whole units, thousands separated, sign before the symbol."""
    if value < 0:
        return f"-{currency}{-value:,.0f}"
    return f"{currency}{value:,.0f}"


def days(value: float) -> Text:
    """A day count for humans: ``0.4 days`` below ten days, else a whole number."""
    if value < 10:
        return Text(f"{value:.1f} days", f"{value:.1f} 天")
    return Text(f"{value:,.0f} days", f"{value:,.0f} 天")


def top_percent(rank: int, base_size: int) -> Text:
    """``top 1 %`` for rank 37 of 5,000: the share of the base at or above this rank, rounded up."""
    return say("top", pct=max(1, -(-rank * 100 // base_size)))
