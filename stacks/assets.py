"""What the stacks ship from this repository: the functions' code asset and the OrderCreated schema."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_

from orders_functions.common.bus import ORDER_CREATED_SCHEMA

#: The functions' source: lambdas/ (each function a subpackage of orders_functions).
LAMBDAS_DIR = Path(__file__).resolve().parent.parent / "lambdas"

__all__ = ["LAMBDAS_DIR", "ORDER_CREATED_SCHEMA", "functions_code"]


def functions_code() -> lambda_.Code:
    """All handlers ship as one asset (one upload): each function is a subpackage of lambdas/orders_functions.

    It holds ``ORDER_CREATED_SCHEMA`` (the file the producer validates each OrderCreated against, and the
    schema registry holds), since orders_functions is installed from lambdas/.
    """
    return lambda_.Code.from_asset(
        str(LAMBDAS_DIR),
        exclude=["**/__pycache__", "**/*.pyc", "**/.pytest_cache", "*.egg-info", "build", "pyproject.toml"],
    )
