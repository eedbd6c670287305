#!/usr/bin/env bash
# Elasticsearch setup for deploy/compose.yaml, run in the elasticsearch image as root.
# Idempotent: a second run keeps the CA, the certificates and a working API key.
#  1. a private CA and one certificate per node (elasticsearch-certutil), in the certs volume;
#  2. once es01 answers over TLS: an API key for wirestream, limited to its own indices,
#     written with the CA's certificate to the wire-secrets volume (/run/wire), readable
#     only by the wirestream user of the image (uid 10001).
set -euo pipefail
cd /usr/share/elasticsearch
CERTS=config/certs
PREFIX="${WIRE_INDEX_PREFIX:-wire}"
: "${ELASTIC_PASSWORD:?ELASTIC_PASSWORD is not set}"

if [ ! -f "$CERTS/ca.zip" ]; then
  echo "creating the CA"
  bin/elasticsearch-certutil ca --silent --pem -out "$CERTS/ca.zip"
  unzip -o -q "$CERTS/ca.zip" -d "$CERTS"
fi
if [ ! -f "$CERTS/certs.zip" ]; then
  echo "creating the node certificates"
  cat > "$CERTS/instances.yml" <<YAML
instances:
  - {name: es01, dns: [es01, localhost], ip: [127.0.0.1]}
  - {name: es02, dns: [es02, localhost], ip: [127.0.0.1]}
  - {name: es03, dns: [es03, localhost], ip: [127.0.0.1]}
YAML
  bin/elasticsearch-certutil cert --silent --pem -out "$CERTS/certs.zip" \
    --in "$CERTS/instances.yml" --ca-cert "$CERTS/ca/ca.crt" --ca-key "$CERTS/ca/ca.key"
  unzip -o -q "$CERTS/certs.zip" -d "$CERTS"
fi
chown -R root:root "$CERTS"
find "$CERTS" -type d -exec chmod 755 {} \;
find "$CERTS" -type f -exec chmod 644 {} \;
chmod 600 "$CERTS/ca/ca.key"

es() {
  curl -sS --cacert "$CERTS/ca/ca.crt" -u "elastic:${ELASTIC_PASSWORD}" \
    -H 'Content-Type: application/json' "$@"
}

echo "waiting for es01"
until es -o /dev/null -w '%{http_code}' https://es01:9200/ 2>/dev/null | grep -q '^200$'; do
  sleep 3
done

install -d -m 755 /run/wire
install -m 644 "$CERTS/ca/ca.crt" /run/wire/ca.crt
KEYFILE=/run/wire/es-api-key
if [ -s "$KEYFILE" ] && curl -sS -o /dev/null -w '%{http_code}' --cacert "$CERTS/ca/ca.crt" \
     -H "Authorization: ApiKey $(cat "$KEYFILE")" https://es01:9200/_security/_authenticate \
     | grep -q '^200$'; then
  echo "the wirestream API key works: kept"
  exit 0
fi

echo "creating the wirestream API key (indices ${PREFIX}-*)"
answer=$(es -X POST https://es01:9200/_security/api_key -d @- <<JSON
{
  "name": "wirestream",
  "role_descriptors": {
    "wirestream": {
      "cluster": ["monitor", "manage_index_templates", "manage_ilm"],
      "indices": [
        {
          "names": ["${PREFIX}-*"],
          "privileges": ["create_index", "manage", "read", "write", "delete", "view_index_metadata"]
        }
      ]
    }
  },
  "metadata": {"application": "wirestream", "created_by": "deploy/compose/es-setup.sh"}
}
JSON
)
encoded=$(printf '%s' "$answer" | sed -n 's/.*"encoded":"\([^"]*\)".*/\1/p')
if [ -z "$encoded" ]; then
  echo "could not create the API key: $answer" >&2
  exit 1
fi
umask 077
printf '%s' "$encoded" > "$KEYFILE"
chown 10001:10001 "$KEYFILE"
chmod 400 "$KEYFILE"
echo "API key written to $KEYFILE"
