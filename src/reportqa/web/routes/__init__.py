"""The API's endpoints, one router per concern; `create_app` includes each one in `ROUTERS`.

Each module owns its paths and takes what it needs (the service, the admin check)
as dependencies from `reportqa.web.deps`, so adding an endpoint touches no other route.
"""
