"""Lazy re-exports for package ``__init__`` modules.

A package's public names are imported from their module on first use (PEP 562), so importing a
package never imports models before Django's app registry is ready and never forms an import cycle.
"""

from importlib import import_module


def lazy_exports(package: str, exports: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for ``package``, serving ``name -> "module"`` from ``exports``.

    A module value ``"vocabulary"`` means ``package.vocabulary``; the name itself may be that module.
    """

    def __getattr__(name: str):
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = import_module(f"{package}.{module_name}")
        return module if name == module_name else getattr(module, name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
