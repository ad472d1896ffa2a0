"""localcloud.compat: every gap module is applied by ``installed`` (all of them by default), and undone after."""

from __future__ import annotations

import pkgutil
from types import ModuleType

import pytest

from localcloud import compat
from localcloud.compat import GAPS, _cfn, cfn_inert, cfn_policies, installed

CFN_TYPES = (*cfn_inert.RESOURCE_TYPES, *cfn_policies.RESOURCE_TYPES, "AWS::SNS::Subscription")


def test_every_gap_module_is_applied_once_and_says_what_moto_lacks() -> None:
    modules = {name for _, name, _ in pkgutil.iter_modules(compat.__path__) if not name.startswith("_")}
    assert sorted(gap.__name__.rsplit(".", 1)[1] for gap in GAPS) == sorted(modules)
    for gap in GAPS:
        assert isinstance(gap.GAP, str) and gap.GAP.strip() and "\n" not in gap.GAP, gap.__name__
        assert callable(gap.install), gap.__name__


@pytest.mark.parametrize("gaps", [(cfn_inert,), ()], ids=["one", "all"])
def test_installed_applies_the_gaps_for_the_block_only(aws: None, gaps: tuple[ModuleType, ...]) -> None:
    named = CFN_TYPES if not gaps else cfn_inert.RESOURCE_TYPES
    assert not any(_cfn.moto_supports(t) for t in named)
    with installed(*gaps):
        assert all(_cfn.moto_supports(t) for t in named)
        if gaps:
            assert not _cfn.moto_supports("AWS::SNS::Subscription")  # only what was named
    assert not any(_cfn.moto_supports(t) for t in named)
