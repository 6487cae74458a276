"""The HTTP front end: the FastAPI app, its routers, background rebuilds and the page (static files)."""
