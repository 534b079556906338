"""Every URL the project serves, read from the resolver, for tests that must cover them all."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

SKIPPED_APPS = {"admin"}  # the Django admin's own pages; tests list its index by hand


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the route itself when unnamed
    route: str  # "dashboard/items/<int:item_id>/"

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)

    def path(self, **kwargs: object) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), self.route)


def routes(patterns: list | None = None, prefix: str = "", namespace: str = "") -> Iterator[Route]:  # type: ignore[type-arg]
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(n for n in (namespace, pattern.namespace or "") if n)
            if pattern.app_name not in SKIPPED_APPS:
                yield from routes(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and not route.startswith("static/"):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(name or route, route)
