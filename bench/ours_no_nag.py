"""The orders app without the cdk-nag rule packs: what the synth costs without compliance checks.

Used by the synth benchmark only (``cdk synth --app "python -m bench.ours_no_nag"``), to compare
like with like against the peer, which runs no cdk-nag.
"""

from __future__ import annotations

import aws_cdk as cdk

from stacks import build_orders_app


def main() -> None:
    app = cdk.App()
    build_orders_app(app)
    app.synth()


if __name__ == "__main__":
    main()
