"""A resolver for tests: fixed names → addresses, nothing ever asked of DNS."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StaticResolver:
    """Resolves only the names it was given (and `localhost`); any other name fails as unknown."""

    names: dict[str, list[str]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        table = {"localhost": ["127.0.0.1", "::1"], **self.names}
        if host.lower() not in table:
            raise OSError(f"{host}: name not known to the test resolver")
        return table[host.lower()]
