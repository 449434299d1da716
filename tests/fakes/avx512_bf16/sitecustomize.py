"""Put this folder on PYTHONPATH to run Python as on a CPU with AVX512-BF16, where bitsandbytes logs a notice while it
is imported (when the `kernels` package is missing); the CPUs the tests run on may lack the instruction set."""

import importlib.abc
import sys


class AsIfAvx512Bf16(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "bitsandbytes.backends.cpu.ops":  # bitsandbytes.functional is imported by then
            sys.modules["bitsandbytes.functional"].has_avx512bf16 = lambda: True
        return None


sys.meta_path.insert(0, AsIfAvx512Bf16())
