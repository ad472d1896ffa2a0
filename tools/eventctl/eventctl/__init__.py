"""eventctl: what an on-call engineer reaches for, against a real account or the local cloud.

Endpoint and credentials come from the environment (``AWS_ENDPOINT_URL``, ``AWS_PROFILE`` or
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``), as for the AWS CLI. An
endpoint on this machine (the local cloud) needs neither credentials nor a region: what is not set
is filled with placeholders.
"""
