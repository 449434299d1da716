"""Only what pyproject.toml cannot say: every package that discovery finds, plus the top-level accelerate_configs/
folder shipped as the package `finetune.accelerate_configs`, so that a wheel install finds the configs too."""

from setuptools import find_namespace_packages, setup

setup(
    packages=find_namespace_packages(include=["finetune*", "evals*"]) + ["finetune.accelerate_configs"],
    package_dir={"finetune.accelerate_configs": "accelerate_configs"},
)
