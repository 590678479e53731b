"""The headers the gateway adds to its API answers, named in one place."""

REQUEST_ID = "x-request-id"
ADAPTED = "x-sbc-adapted"  # what the gateway adapted or dropped from the request (see gateway.compat)
