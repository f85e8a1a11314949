"""Import an optional library where it is needed (the engine needs numpy only), or say which extra installs it."""
import importlib


def require(module, extra="widgets"):
    """Return the imported module; if it is missing, an ImportError naming the pip extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(f"{module} is needed here but is not installed: run pip install -e '.[{extra}]' "
                          f"in the tensorgrad checkout (or install {module.split('.')[0]} yourself)") from None
