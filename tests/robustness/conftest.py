"""The robustness tests use the deployment tests' fixtures (real servers,
a work tree readable by www-data)."""

from tests.deploy.conftest import (deploy_tools, module_workdir,  # noqa: F401
                                   workdir)
