"""AWS's routing rules, decided as AWS decides: EventBridge event patterns and SNS filter policies.

Standard library only (no AWS SDK, no CDK), so the CDK library, ``eventctl`` and the local cloud share it.
"""
