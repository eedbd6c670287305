#!/bin/sh
# The image's entrypoint: reads secrets from files, then runs the command.
#
# For each credential below, VAR_FILE=/path (a Docker or Compose secret, a mounted
# Kubernetes Secret) sets VAR to the file's content, so that no secret needs to be an
# environment value in a compose file. Only these names: WIRE_FEEDS_FILE, for one, is a
# path setting of its own.
set -eu
for var in WIRE_ES_API_KEY WIRE_ES_PASSWORD WIRE_KAFKA_SASL_PASSWORD WIRE_API_KEYS; do
    eval "file=\${${var}_FILE:-}"
    if [ -n "$file" ]; then
        if [ ! -r "$file" ]; then
            echo "wire-entrypoint: ${var}_FILE=$file is not a readable file" >&2
            exit 1
        fi
        value=$(cat "$file")
        export "$var=$value"
        unset "${var}_FILE"
    fi
done
exec "$@"
