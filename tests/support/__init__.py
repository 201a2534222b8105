"""Test support: an Ollama stand-in server, process helpers and a real LiteLLM proxy launcher.

Import as `support.ollama_stub`, `support.procs`, `support.litellm_proxy` (tests/conftest.py puts
tests/ on sys.path).
"""
