"""stacks.assets: one code asset for every function, holding the package and none of the build's leftovers."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from stacks.assets import LAMBDAS_DIR, ORDER_CREATED_SCHEMA, functions_code


def test_the_asset_holds_the_functions_package_and_its_schema_but_no_packaging_leftovers(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Assets")
    lambda_.Function(
        stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_14, code=functions_code(), handler="orders_functions.x.handler"
    )
    assembly = app.synth()
    template = json.loads((Path(assembly.directory) / "Assets.template.json").read_text())
    (function,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    staged = Path(assembly.directory) / f"asset.{function['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    assert (staged / "orders_functions" / "payment" / "handler.py").is_file()
    assert (staged / ORDER_CREATED_SCHEMA.relative_to(LAMBDAS_DIR)).is_file()
    assert sorted(p.name for p in staged.iterdir()) == ["orders_functions"]  # no pyproject, egg-info or build/
    assert not list(staged.rglob("__pycache__"))
