#!/usr/bin/env bash
# The Action's lint step. action.yml runs it with the inputs in INPUT_* variables; tests/integrations.rs
# runs it the same way with a fake GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
#
# 1. `fix: true`: apply the safe fixes first (the report below shows what is left).
# 2. The report in the requested `format` (`github` annotations go to the log, `sarif` to
#    `sarif-file`); its exit code is the step's (`fail-on`), and output `exit-code`.
# 3. The same lint as JSON (`json-file`) for the outputs `findings` and `errors`.
# 4. The same lint as Markdown (`markdown-file`), written to the job summary: GitHub keeps only
#    the first 10 annotations of each level (error, warning, notice) per step, so the log says how
#    many findings the annotations left out, and the summary lists them all.
#
# Plain bash 3.2 (macOS runners): no `set -u` with empty arrays, no ${var,,}.
set -o pipefail

bin="$HOME/.cache/leaselint-action/bin"
leaselint="$bin/leaselint"
if [ -n "${GITHUB_PATH:-}" ]; then echo "$bin" >> "$GITHUB_PATH"; fi

# GitHub's limits (see README "CI recipes"): annotations kept per level and step (the runner's
# `_maxCountPerIssueType`), and bytes a step summary may hold (1 MiB; this leaves room for the
# notes around the report).
annotations_per_level=10
summary_limit=1000000

out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/leaselint-action"
mkdir -p "$out_dir"
json_file="$out_dir/report.json"
markdown_file="$out_dir/report.md"
annotations_file="$out_dir/annotations.txt"
rm -f "$json_file" "$markdown_file" "$annotations_file" "$out_dir"/*.stderr

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >> "$GITHUB_OUTPUT"; fi
}
summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat >> "$GITHUB_STEP_SUMMARY"; else cat > /dev/null; fi
}

read -r -a paths <<< "$INPUT_PATHS"
if [ "${#paths[@]}" -eq 0 ]; then paths=(.); fi # never let leaselint fall back to stdin
read -r -a extra <<< "$INPUT_ARGS"
common=()
if [ -n "$INPUT_CONFIG" ]; then common+=(--config "$INPUT_CONFIG"); fi
common+=("${extra[@]}")

if [ "$INPUT_FIX" = "true" ]; then
  echo "::group::leaselint --fix"
  "$leaselint" "${common[@]}" --fix --format human "${paths[@]}" || true
  echo "::endgroup::"
fi

# 2. The requested format; its exit code is the step's.
args=("${common[@]}" --format "$INPUT_FORMAT")
if [ -n "$INPUT_FAIL_ON" ]; then args+=(--fail-on "$INPUT_FAIL_ON"); fi
status=0
case "$INPUT_FORMAT" in
  sarif)
    "$leaselint" "${args[@]}" --output-file "$INPUT_SARIF_FILE" "${paths[@]}" || status=$?
    output sarif-file "$INPUT_SARIF_FILE"
    ;;
  github)
    "$leaselint" "${args[@]}" "${paths[@]}" | tee "$annotations_file"
    status=${PIPESTATUS[0]}
    ;;
  *)
    "$leaselint" "${args[@]}" "${paths[@]}" || status=$?
    ;;
esac
output exit-code "$status"

# 3. Counts from the JSON report (its `summary` holds the only numeric `errors`, `warnings`
#    and `infos` keys: inside JSON strings a quote is always escaped).
"$leaselint" "${common[@]}" --format json --output-file "$json_file" "${paths[@]}" \
  > /dev/null 2> "$out_dir/json.stderr"
count() {
  grep -o "\"$1\": *[0-9][0-9]*" "$json_file" 2> /dev/null | tail -n 1 | grep -o '[0-9]*$'
}
errors=$(count errors)
warnings=$(count warnings)
infos=$(count infos)
if [ -n "$errors" ] && [ -n "$warnings" ] && [ -n "$infos" ]; then
  findings=$((errors + warnings + infos))
  output findings "$findings"
  output errors "$errors"
  output json-file "$json_file"
else
  findings=""
  echo "leaselint: no JSON report, so the outputs findings and errors are empty:"
  cat "$out_dir/json.stderr"
fi

# 4. The same lint as Markdown, for the job summary.
"$leaselint" "${common[@]}" --format markdown --output-file "$markdown_file" "${paths[@]}" \
  > /dev/null 2> "$out_dir/markdown.stderr"
if [ -s "$markdown_file" ]; then
  output markdown-file "$markdown_file"
  everything="the job summary lists every finding"
else
  echo "leaselint: no Markdown report for the job summary:"
  cat "$out_dir/markdown.stderr"
  everything="this log lists every finding"
fi

# How many findings the annotations left out (only `github` annotates).
left_out=0
if [ "$INPUT_FORMAT" = "github" ]; then
  total=0
  detail=""
  for level in error warning notice; do
    n=$(grep -c "^::$level[ :]" "$annotations_file" || true)
    total=$((total + n))
    if [ "$n" -gt "$annotations_per_level" ]; then
      cut_off=$((n - annotations_per_level))
      left_out=$((left_out + cut_off))
      if [ "$cut_off" -gt 1 ]; then plural=s; else plural=""; fi
      detail="$detail${detail:+, }$cut_off $level$plural"
    fi
  done
  if [ "$left_out" -gt 0 ]; then
    echo "leaselint: GitHub shows at most $annotations_per_level error, $annotations_per_level warning and $annotations_per_level notice annotations per step (and 50 per job): $left_out of the $total annotations were left out ($detail); $everything."
  else
    echo "leaselint: all $total annotations are shown (GitHub keeps at most $annotations_per_level of each level per step)."
  fi
fi

# The job summary, always.
if [ -s "$markdown_file" ]; then
  size=$(wc -c < "$markdown_file" | tr -d ' ')
  if [ "$left_out" -gt 0 ]; then
    if [ "$size" -le "$summary_limit" ]; then where="All are listed below."; else where="All are in the output \`markdown-file\`."; fi
    printf '> **Note:** the pull request shows only the first %s annotations of each level: %s findings are not annotated. %s\n\n' \
      "$annotations_per_level" "$left_out" "$where" | summary
  fi
  if [ "$size" -le "$summary_limit" ]; then
    summary < "$markdown_file"
  else
    # Cut at a line end (a table row stays whole); the full report stays in `markdown-file`.
    head -c "$summary_limit" "$markdown_file" | sed '$d' | summary
    printf '\n\n**The report is cut here**: it has %s bytes and a job summary takes at most 1 MiB per step. The full report is the output `markdown-file`.\n' \
      "$size" | summary
    echo "leaselint: the Markdown report ($size bytes) is cut to fit GitHub's 1 MiB job summary; the full report is $markdown_file"
  fi
else
  {
    printf '## leaselint\n\n'
    if [ -n "$findings" ]; then
      printf '| findings | errors | warnings | infos |\n|---:|---:|---:|---:|\n| %s | %s | %s | %s |\n\n' \
        "$findings" "$errors" "$warnings" "$infos"
    fi
    if [ "$left_out" -gt 0 ]; then
      printf 'The pull request shows only the first %s annotations of each level: %s findings are not annotated. ' \
        "$annotations_per_level" "$left_out"
    fi
    printf 'leaselint wrote no Markdown report (`--format markdown`): the findings are in the log of this step.\n'
  } | summary
fi

exit "$status"
