#!/usr/bin/env bash
# Move traffic to the candidate CDN in stages, watching each stage with
# `edgeparity watch`, and roll back at the first sign of trouble.
#
#   SET_WEIGHT='./set-weight.sh {weight}' examples/rollout/rollout.sh
#
# SET_WEIGHT is your command that sends {weight} percent of the traffic to
# the candidate (a Route 53 / Cloud DNS weighted record, a Worker's split);
# {weight} is replaced by the stage's percentage, 0 rolls back. It must
# exit 0 when the change is applied.
#
# Per stage, `edgeparity watch` decides (exit codes, see README):
#   0 proceed       → next stage
#   1 rollback      → SET_WEIGHT 0, stop (exit 1)
#   3 insufficient  → hold the current weight and stop (exit 3): the stage
#                     was not proven good or bad; look, then re-run from it
#   2 bad usage     → stop (exit 2), weight unchanged
#
# Settings (environment):
#   STAGES        weights in percent, in order         (default "1 5 25 50 100")
#   STAGE_LENGTH  how long to watch each stage          (default 15m)
#   INTERVAL      time between rounds                   (default 60s)
#   SETTLE        wait after a weight change, seconds   (default 60: DNS TTLs)
#   REPORTS       where each stage's reports go         (default reports/rollout)
#   EDGEPARITY    the binary                            (default edgeparity)
#   WATCH_ARGS    more arguments for watch: --env, thresholds, suites
set -uo pipefail

: "${SET_WEIGHT:?set SET_WEIGHT to the command that moves traffic, e.g. './set-weight.sh {weight}'}"
STAGES="${STAGES:-1 5 25 50 100}"
STAGE_LENGTH="${STAGE_LENGTH:-15m}"
INTERVAL="${INTERVAL:-60s}"
SETTLE="${SETTLE:-60}"
REPORTS="${REPORTS:-reports/rollout}"
EDGEPARITY="${EDGEPARITY:-edgeparity}"
read -ra EXTRA <<<"${WATCH_ARGS:-}"

set_weight() { # WEIGHT
  local cmd="${SET_WEIGHT//\{weight\}/$1}"
  echo "rollout: weight $1%: $cmd"
  bash -c "$cmd"
}

for weight in $STAGES; do
  if ! set_weight "$weight"; then
    echo "rollout: could not set the weight to $weight%; rolling back" >&2
    set_weight 0 || echo "rollout: ROLLBACK FAILED: set the weight to 0 by hand" >&2
    exit 1
  fi
  sleep "$SETTLE"
  dir="$REPORTS/stage-$weight"
  "$EDGEPARITY" watch --duration "$STAGE_LENGTH" --interval "$INTERVAL" --report-dir "$dir" "${EXTRA[@]}"
  code=$?
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$dir/summary.md" ]]; then
    { echo "### Stage $weight%"; cat "$dir/summary.md"; } >>"$GITHUB_STEP_SUMMARY"
  fi
  case "$code" in
    0) echo "rollout: stage $weight% healthy ($dir/watch.json)" ;;
    1)
      echo "rollout: stage $weight% ROLLBACK: $(grep -m1 '"reason"' "$dir/watch.json" 2>/dev/null)" >&2
      set_weight 0 || echo "rollout: ROLLBACK FAILED: set the weight to 0 by hand" >&2
      exit 1
      ;;
    3)
      echo "rollout: stage $weight% had too little data to judge; holding at $weight% (see $dir)" >&2
      exit 3
      ;;
    *)
      echo "rollout: edgeparity watch failed (exit $code); weight left at $weight%" >&2
      exit 2
      ;;
  esac
done
echo "rollout: done, all stages healthy"
