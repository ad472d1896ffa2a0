"""A local AWS for this app: moto's server, plus the few things it lacks, kept in ``localcloud.compat``.

``python -m localcloud up`` starts it in the background on 127.0.0.1 (``make up``),
``python -m localcloud down`` stops it (``make down``). The real ``cdk`` CLI deploys into it with
``AWS_ENDPOINT_URL=http://localhost:<port>``; ``python -m localcloud.demo`` drives traffic
through the deployed system and reports what happened (``make demo`` does all of this).
"""

from localcloud.settings import LocalCloudSettings

__all__ = ["LocalCloudSettings"]
