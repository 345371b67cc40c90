#!/bin/sh
# make check / make test: run the suites named on the command line (make
# targets) one after the other, whatever each one does, and end with one
# line: how many suites ran and how many tests passed and failed, as each
# runner counts them (cmocka, check-gen and check-go, the shell tests, unittest, node's
# TAP, the runbook). A suite that fails without saying how many tests
# failed counts as one failed test. Exits 1 if anything failed.
#
#   sh tests/summary.sh NAME TARGET...
set -u
name=$1
shift
make=${MAKE:-make}
log=$(mktemp)
trap 'rm -f "$log" "$log.one"' EXIT
suites=0
passed=0
failed=0
for target in "$@"; do
  suites=$((suites + 1))
  $make --no-print-directory "$target" > "$log.one" 2>&1
  status=$?
  cat "$log.one"
  counts=$(awk '
    /^\[  PASSED  \] [0-9]+ test/ { p += $4 }
    /^\[  FAILED  \] [0-9]+ test\(s\), listed below/ { f += $4 }
    /^check-(gen|go): [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4 }
    /^shell tests: [0-9]+ tests, [0-9]+ checks passed, [0-9]+ failed/ { p += $5; f += $8 }
    /^Ran [0-9]+ tests? in/ { ran = $2 }
    /^FAILED \(/ { gsub(/[^0-9,]/, "", $0); n = split($0, a, ","); for (i = 1; i <= n; i++) uf += a[i] }
    /^# pass [0-9]+/ { p += $3 }
    /^# fail [0-9]+/ { f += $3 }
    /^test_runbook.sh: [0-9]+ runbook lines ran/ { p += $2 }
    /^check-schema: .* is the schema at head$/ { p += 1 }
    /^schema tests: [0-9]+ passed, [0-9]+ failed/ { p += $3; f += $5 }
    END { if (ran) { p += ran - uf; f += uf } printf "%d %d\n", p, f }
  ' "$log.one")
  p=${counts% *}
  f=${counts#* }
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "$name: $target failed (exit $status) without a count: one failure"
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
done
echo "$name: $suites suites, $((passed + failed)) tests"
echo "$name: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
