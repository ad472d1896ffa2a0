#!/usr/bin/env python3
"""The orders CDK app: ``cdk synth -c stage=dev|prod``. cdk-nag runs on every stack."""

from __future__ import annotations

import sys

import aws_cdk as cdk

from stacks import build_orders_app
from stacks.compliance import add_rule_packs, findings, format_findings


def main() -> int:
    app = cdk.App()
    build_orders_app(app)
    add_rule_packs(app)
    try:
        assembly = app.synth()
    except RuntimeError as error:  # CDK raises ValidationFailed when a plugin reports findings
        print(f"synth failed: {error}", file=sys.stderr)
        return 1
    unacknowledged = findings(assembly.directory)
    if unacknowledged:
        print(f"{len(unacknowledged)} unacknowledged cdk-nag finding(s):", file=sys.stderr)
        print(format_findings(unacknowledged), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
