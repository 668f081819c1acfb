#!/usr/bin/env bash
# A placeholder for the change that moves traffic: replace the body with
# your DNS or Worker change. Here it only records the weight asked for.
#
# Route 53, for example (two weighted records of one name):
#   aws route53 change-resource-record-sets --hosted-zone-id "$ZONE" \
#     --change-batch "$(jq -n --argjson w "$1" '{Changes: [...]}')"
# A Worker split, for example: wrangler secret / KV put of the percentage.
set -euo pipefail
weight="${1:?usage: set-weight.sh PERCENT}"
[[ "$weight" =~ ^[0-9]+$ && "$weight" -le 100 ]] || { echo "set-weight: $weight is not 0..100" >&2; exit 2; }
mkdir -p reports/rollout
echo "$(date -u +%FT%TZ) candidate weight $weight%" >>reports/rollout/weights.log
