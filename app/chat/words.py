"""What the customer reads: each refusal and notice of the chat socket in their language.

The server sends a code, its facts and the sentence made from them here (the page shows the
sentence; scripts read the code). Chinese and English, like the rest of Hotline.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("en", "zh")

WORDS: dict[str, dict[str, str]] = {
    "invalid": {
        "en": "That could not be read: {detail}",
        "zh": "无法识别该请求：{detail}",
    },
    "too_large": {
        "en": "Your message is too long: at most {limit} characters (it has {length}).",
        "zh": "消息过长：最多 {limit} 个字符（当前 {length} 个）。",
    },
    "rate_limited": {
        "en": "You are sending messages too quickly. Please wait {seconds} s and send it again.",
        "zh": "您发送消息过于频繁，请等待 {seconds} 秒后重新发送。",
    },
    "too_many_open_customer": {
        "en": "You already have {limit} chats open. Please continue in one of them.",
        "zh": "您已有 {limit} 个进行中的对话，请在已有对话中继续。",
    },
    "too_many_open_address": {
        "en": "Too many chats are open from your network (at most {limit}). "
        "Please continue in an open one.",
        "zh": "您所在网络的进行中对话过多（最多 {limit} 个），请在已有对话中继续。",
    },
    "too_many_new": {
        "en": "Too many chats were started from your network in the last hour (at most "
        "{limit}). Please try again later.",
        "zh": "您所在网络在一小时内发起的对话过多（最多 {limit} 个），请稍后再试。",
    },
    "unknown_topic": {
        "en": "Please choose one of the topics offered.",
        "zh": "请选择列出的咨询主题之一。",
    },
    "reach_needed": {
        "en": "Please give an e-mail address or a phone number we can reach you at.",
        "zh": "请填写可以联系到您的电子邮箱或电话号码。",
    },
    "reach_invalid": {
        "en": "{value} is not an e-mail address or phone number we can use.",
        "zh": "{value} 不是可用的电子邮箱或电话号码。",
    },
    "identity_disabled": {
        "en": "Signed sign-in is not set up here; please fill in the form.",
        "zh": "此处未启用签名登录，请填写表单。",
    },
    "identity_malformed": {
        "en": "Your sign-in could not be read; please fill in the form.",
        "zh": "无法识别您的登录信息，请填写表单。",
    },
    "identity_forged": {
        "en": "Your sign-in could not be verified; please fill in the form.",
        "zh": "无法验证您的登录信息，请填写表单。",
    },
    "identity_expired": {
        "en": "Your sign-in has expired; please reload the page or fill in the form.",
        "zh": "您的登录已过期，请刷新页面或填写表单。",
    },
    "identity_unknown": {
        "en": "Your customer record was not found; please fill in the form.",
        "zh": "未找到您的客户记录，请填写表单。",
    },
    "not_found": {
        "en": "This chat was not found. Please start a new one.",
        "zh": "未找到该对话，请发起新的对话。",
    },
    "ended": {
        "en": "This chat has ended.",
        "zh": "本次对话已结束。",
    },
    "not_offline": {
        "en": "An agent is still going to answer this chat; write your message here.",
        "zh": "客服即将接入本对话，请直接在此留言。",
    },
    "already_left": {
        "en": "You have already left a message; we will call you back.",
        "zh": "您已留言，我们会尽快回电。",
    },
    "not_rateable": {
        "en": "A chat can be rated once, after an agent has answered it.",
        "zh": "对话在客服接入后可评价一次。",
    },
    "transcript_unavailable": {
        "en": "The transcript cannot be e-mailed: we have no e-mail address for this chat.",
        "zh": "无法发送对话记录邮件：本次对话没有可用的电子邮箱。",
    },
    "queue_unavailable": {
        "en": "Chat is not available for this topic right now. Please try another topic.",
        "zh": "该主题暂时无法在线咨询，请选择其他主题。",
    },
    "internal": {
        "en": "Something went wrong on our side; please try again.",
        "zh": "系统出现问题，请重试。",
    },
}


def say(code: str, lang: str, **facts: Any) -> str:
    """The sentence for ``code`` in ``lang`` (English when the language is unknown)."""
    forms = WORDS.get(code) or WORDS["internal"]
    return forms.get(lang, forms["en"]).format(**facts)


class ChatRefusal(Exception):
    """A request the chat refuses: a code, its facts, and (rate limits) when to retry."""

    def __init__(self, code: str, retry_after: float | None = None, **facts: Any) -> None:
        super().__init__(code)
        self.code = code
        self.facts = facts
        self.retry_after = retry_after

    def message(
        self, lang: str, ref: str | None = None, client_id: str | None = None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "error",
            "code": self.code,
            "message": say(self.code, lang, **self.facts),
            "ref": ref,
        }
        if self.retry_after is not None:
            out["retry_after"] = round(self.retry_after, 2)
        if client_id is not None:
            out["client_id"] = client_id
        return out
