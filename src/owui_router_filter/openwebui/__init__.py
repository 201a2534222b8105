"""Talking to Open WebUI's REST API from the admin's machine: client and credentials, the function file, plans."""
