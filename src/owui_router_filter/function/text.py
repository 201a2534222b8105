"""Messages in, text out: what the human asked, what came before, and whether images are attached.

Open WebUI sends OpenAI-format messages: `content` is a string or a list of parts
(`{"type": "text", "text": ...}`, `{"type": "image_url", "image_url": {"url": ...}}`).
System prompts, tool output and injected documents are context, not the ask, and are skipped.
Everything here tolerates junk: a malformed message is ignored, never an exception.
"""

import re
import unicodedata
from dataclasses import dataclass, field

_ASK_ROLES = ("user",)
_CONTEXT_ROLES = ("user", "assistant")
_RAG_QUERY = re.compile(r"<user_query>(.*?)</user_query>", re.S | re.I)
_RAG_BLOCKS = re.compile(r"<(context|source)\b[^>]*>.*?</\1>", re.S | re.I)


@dataclass
class Turn:
    role: str
    text: str
    images: int = 0


@dataclass
class Conversation:
    """The last user message (the ask) and the turns before it, newest first."""

    ask: Turn | None
    ask_index: int = -1
    history: list = field(default_factory=list)


def content_text(content) -> str:
    """The text of a message's content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type") in (None, "text", "input_text"):
                value = part.get("text")
                if isinstance(value, str):
                    parts.append(value)
        return "\n".join(parts)
    return ""


def content_images(content) -> int:
    """How many image parts a message's content carries."""
    if not isinstance(content, list):
        return 0
    count = 0
    for part in content:
        if isinstance(part, dict) and part.get("type") in ("image_url", "input_image", "image"):
            count += 1
    return count


def strip_injected(text: str) -> str:
    """Drop retrieved documents that a RAG template put into a user message; keep the user's query."""
    if "<" not in text:
        return text
    match = _RAG_QUERY.search(text)
    if match:
        return match.group(1)
    return _RAG_BLOCKS.sub(" ", text)


def message_turn(message) -> Turn | None:
    if not isinstance(message, dict):
        return None
    role = message.get("role")
    if role not in _CONTEXT_ROLES:
        return None
    content = message.get("content")
    text = content_text(content)
    if role == "user":
        text = strip_injected(text)
    images = content_images(content)
    if isinstance(message.get("images"), list):  # Ollama-native shape
        images += len(message["images"])
    return Turn(role=role, text=text, images=images)


def split_conversation(messages, history_depth: int = 4) -> Conversation:
    """Find the last user message and up to `history_depth` user turns before it (with the assistant replies between)."""
    if not isinstance(messages, list):
        return Conversation(ask=None)
    for index in range(len(messages) - 1, -1, -1):
        turn = message_turn(messages[index])
        if turn is not None and turn.role in _ASK_ROLES:
            break
    else:
        return Conversation(ask=None)
    history = []
    users = 0
    for earlier in range(index - 1, -1, -1):
        if users >= max(0, history_depth):
            break
        prior = message_turn(messages[earlier])
        if prior is None:
            continue
        history.append(prior)
        if prior.role == "user":
            users += 1
    return Conversation(ask=turn, ask_index=index, history=history)


def clip(text: str, max_chars: int) -> str:
    """Keep the start and the end of a huge text (two thirds head, one third tail)."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text
    head = (max_chars * 2) // 3
    tail = max_chars - head
    return text[:head] + "\n" + text[-tail:]


def fold(text: str) -> str:
    """Lower-case and strip accents, so 'Função' matches 'funcao'; characters outside ASCII are dropped."""
    if text.isascii():  # nothing to decompose or drop
        return text.lower()
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
