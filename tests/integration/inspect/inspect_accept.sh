#!/bin/bash
# Runs accept.py (python3-jsonschema); see there.
exec /usr/bin/python3 "$(dirname "$0")/accept.py" "$@"
