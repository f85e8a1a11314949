"""What the numbers were measured on: CPU, cores, load, library versions and the BLAS threads in use."""
import os
import platform
import sys
from importlib import metadata

# Variables that change BLAS speed or thread count; the single-thread run sets the last three.
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
SINGLE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def blas_pools():
    """One line per thread pool threadpoolctl sees: library, kernel (architecture), threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed: BLAS unknown (pip install threadpoolctl)"]
    lines = []
    for pool in threadpool_info():
        kernel = f", kernel {pool['architecture']}" if pool.get("architecture") else ""
        lines.append(f"{pool['internal_api']} {pool.get('version') or ''} ({pool['prefix']}{kernel}): "
                     f"{pool['num_threads']} thread(s), {os.path.basename(pool['filepath'])}")
    return lines


def describe():
    """Lines describing this process's machine and libraries (torch is imported to read its threads)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [f"CPU: {cpu_model()}, {cores} core(s) usable (nproc), load average {os.getloadavg()[0]:.2f} at start",
             f"Python {platform.python_version()} ({sys.implementation.name}), numpy {_version('numpy')}, "
             f"torch {_version('torch')}, mygrad {_version('mygrad')}, micrograd {_version('micrograd')}"]
    try:
        import torch
        lines.append(f"PyTorch intra-op threads: {torch.get_num_threads()}")
    except ImportError:
        pass
    lines += blas_pools()
    env = [f"{name}={os.environ[name]}" for name in BLAS_ENV if name in os.environ]
    lines.append("environment: " + (", ".join(env) if env else "none of " + ", ".join(BLAS_ENV) + " set"))
    return lines
