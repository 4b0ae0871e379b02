"""The ASGI entry point: ``uvicorn district_server.asgi:app`` (settings from the environment)."""
from district_server.app import create_app
from district_server.config import Settings

app = create_app(Settings.from_env())
