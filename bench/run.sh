#!/bin/sh
# leaselint benchmark; see bench/run.py for options (e.g. --sizes 1000,5000 --repeat 3).
exec python3 "$(dirname "$0")/run.py" "$@"
