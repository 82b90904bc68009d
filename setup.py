"""Packaging beyond pyproject.toml's declarative fields: the theme files live
in the top-level ``themes/`` directory (where users and the docs find them),
and the wheel carries them as ``kview/themes/*.yaml``, beside the code that
loads them.  setuptools' own ``package_dir`` maps the one to the other: no
build code, and an sdist or a wheel built from anywhere has them."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["kview*"]), "kview.themes"],
    package_dir={"kview.themes": "themes"},
    package_data={"kview": ["ui/*.tcss", "ui/**/*.tcss"], "kview.themes": ["*.yaml"]},
)
