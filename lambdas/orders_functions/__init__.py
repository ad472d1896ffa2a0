"""The orders app's Lambda functions, one subpackage per function, and ``common``, the code they share.

Each function's handler is ``orders_functions.<function>.handler.lambda_handler`` (the workflow's
tasks are functions of ``orders_functions.workflow.handler``). The whole package ships as one asset.
"""
