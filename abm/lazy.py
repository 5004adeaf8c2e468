"""Packages whose public names load on first use, so `import abm` costs almost nothing.

The command line imports `abm.cli`, which imports the `abm` package first; if that pulled
in mesa, pandas, scipy and matplotlib, `abm --help` would take seconds. A lazy package
imports a name's module only when the name is used. Where a public function has the name
of its own module (`abm.run`, `abm.batch.sweep`), the function wins, as it did when the
package imported it eagerly: the import system's binding of the submodule is ignored.
"""

from __future__ import annotations

import importlib
import sys
import types


def make_lazy(package: str, exports: dict[str, str]) -> None:
    """Make `package` import each public name from its module (`exports[name]`) when used."""

    class LazyPackage(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            if name not in exports:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            value = getattr(importlib.import_module(exports[name]), name)
            self.__dict__[name] = value
            return value

        def __setattr__(self, name: str, value: object) -> None:
            if name in exports and isinstance(value, types.ModuleType):
                return  # a submodule of the same name: the public function keeps the name
            super().__setattr__(name, value)

        def __dir__(self) -> list[str]:
            return sorted({*super().__dir__(), *exports})

    sys.modules[package].__class__ = LazyPackage
