"""The HTTP server: settings, the composition root (`create_app`) and the routes."""
