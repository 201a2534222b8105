"""Valves: every setting of the router, with the defaults and the text shown in Open WebUI's admin form.

This is the one place where settings are declared. The Filter's `Valves` and `UserValves` subclass
these, `decide()` accepts an instance, a plain dict (as Open WebUI stores valves) or None.
"""

from pydantic import BaseModel, Field


class RouterValves(BaseModel):
    priority: int = Field(
        default=0,
        description="Filter order in Open WebUI: lower runs first. Keep the router before filters that rewrite messages.",
    )
    enabled: bool = Field(default=True, description="Turn automatic routing on or off for everyone.")
    code_model: str = Field(
        default="gpt-code", description="Model id (a LiteLLM alias) that receives coding requests."
    )
    chat_model: str = Field(
        default="gpt-chat", description="Model id (a LiteLLM alias) that receives everything that is not code or images."
    )
    vision_model: str = Field(
        default="gpt-vision",
        description="Model id (a LiteLLM alias) for messages with images. Empty: never route on images.",
    )
    route_from_models: str = Field(
        default="auto",
        description="Comma-separated model ids the router acts on (the model the user picked). '*' = any model. "
        "Requests for any other model are left alone, so an explicit model choice is respected.",
    )
    override_prefix: str = Field(
        default="#",
        description="Start a message with this prefix and a route name (#code, #chat, #vision) to force that route. "
        "The prefix is removed before the message is sent. Empty: no overrides.",
    )
    threshold: float = Field(
        default=3.0,
        description="Code score needed to route to the code model: 3 + the log-odds of code, so 3 means 'more likely code "
        "than not' and each point above it asks for e (2.7) times the odds. Higher: fewer prompts go to the coder.",
    )
    history_depth: int = Field(
        default=4,
        description="How many earlier user turns count as context for a short follow-up (0: judge the last message alone).",
    )
    routes: str = Field(
        default="",
        description="Your own routes, one a line: 'name -> model: keyword, a phrase, word:weight, /regex/'; '@N' after the "
        "model sets its threshold (default 3; a keyword weighs 2). E.g. 'math -> gpt-reasoning: prove, theorem, integral'. "
        "The best route above its threshold wins before code/chat; '#name' forces one. Bad lines are skipped and logged.",
    )
    long_context_model: str = Field(
        default="",
        description="Model id for long conversations, whatever their topic (after overrides and images). Empty: off.",
    )
    long_context_tokens: int = Field(
        default=8000,
        description="A conversation longer than this many tokens (estimated: characters / 4) goes to long_context_model.",
    )
    extra_code_keywords: str = Field(
        default="",
        description="Extra words or phrases that point to code, comma-separated, optionally with a weight: 'terraform:3, helm'.",
    )
    extra_chat_keywords: str = Field(
        default="",
        description="Extra words or phrases that point away from code, comma-separated, optionally with a weight: 'poema:3'.",
    )
    use_builtin_keywords: bool = Field(
        default=True,
        description="Use the built-in knowledge of words: the English, Portuguese and Spanish keyword lists and the learned "
        "word weights. Off: only the structure of the text (code blocks, traces, SQL...) and the extra keywords count.",
    )
    max_scan_chars: int = Field(
        default=40000,
        description="Longest stretch of a message that is scanned (its start and end); bounds the time spent on huge pastes. 0: scan everything.",
    )
    show_status: bool = Field(
        default=True, description="Show a status line in the chat with the chosen model and the main reasons."
    )
    debug: bool = Field(
        default=False,
        description="Log every decision in full, including an excerpt of the prompt. Leave off in production: prompts are private.",
    )


class RouterUserValves(BaseModel):
    enabled: bool = Field(default=True, description="Route my messages automatically. Off: my chosen model is always used.")
    show_status: bool = Field(default=True, description="Show me which model the router chose and why.")
