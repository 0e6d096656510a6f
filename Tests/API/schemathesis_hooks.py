"""Schemathesis hooks for Tests/API/api_test.py (loaded through SCHEMATHESIS_HOOKS).

- tus bodies (`application/offset+octet-stream`) are raw bytes, serialised like octet-stream;
- every answer's (method, path template, status) is appended to $VEZA_API_STATUS_LOG, so the
  driver can tell which documented statuses the run reached.
"""
import json
import os
import threading

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

_lock = threading.Lock()


@schemathesis.hook
def after_call(context, case, response):
    path = os.environ.get("VEZA_API_STATUS_LOG")
    if not path:
        return
    line = json.dumps([case.operation.method.upper(), case.operation.path, response.status_code])
    with _lock, open(path, "a") as log:
        log.write(line + "\n")
