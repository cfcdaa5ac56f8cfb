#!/usr/bin/env bash
# Proves the workshop's exercises (docs/workshop.md, "Exercises"). Each
# docs/exercises/NN-*.patch breaks one protection on purpose; its header names
# the test that attacks it (Package:, Test:) and the app's own reason the
# failing test must print (Reason:). In a scratch copy of this checkout:
#   1. without any patch, every named test passes;
#   2. for each patch: it applies (git apply), the code still compiles (go vet
#      of the packages it changes and of the test's package), and the named
#      test FAILS with the reason in its output; then the patch is taken out
#      again (git apply -R).
# Only the named tests run (-count=1); the Go build cache keeps it quick.
#
#   scripts/exercises.sh                  every exercise
#   scripts/exercises.sh 01 07            only these
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

say() { printf '%s\n' "$*"; }
fail() {
    printf '\nFAILED: %s\n' "$1" >&2
    shift
    for line in "$@"; do printf '  %s\n' "$line" >&2; done
    exit 1
}

# header PATCH NAME: the value of the "NAME: value" line before the diff.
header() { sed -n "/^diff --git/q; s/^$2: //p" "$1" | head -n 1; }

# run_pattern TEST: a -run pattern for exactly TEST (Name or Name/subtest).
run_pattern() {
    local test="$1" pattern="^${1%%/*}\$"
    [[ "$test" == */* ]] && pattern+="/${test#*/}"
    printf '%s' "$pattern"
}

patches=()
if (($#)); then
    for n in "$@"; do
        match=(docs/exercises/"$n"-*.patch)
        [[ -f "${match[0]}" ]] || fail "no exercise $n in docs/exercises/"
        patches+=("${match[0]}")
    done
else
    patches=(docs/exercises/*.patch)
fi
[[ -f "${patches[0]}" ]] || fail "no patches in docs/exercises/"

for p in "${patches[@]}"; do
    for field in Package Test Reason; do
        [[ -n "$(header "$p" "$field")" ]] || fail "$p has no \"$field:\" line before its diff" \
            "Each patch starts with the lines Package:, Test: and Reason: (see the others)."
    done
done

# The scratch copy: this checkout's files as they are now (tracked and new
# ones, not the ignored ones), so uncommitted work is tested too.
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || fail "not a git checkout" "Run it in a clone of the repository."
scratch=$(mktemp -d "${TMPDIR:-/tmp}/authcode-exercises.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e "$f" ]] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$scratch"
cd "$scratch"
say "Scratch copy of $repo in $scratch"

say ""
say "==> Without the patches, each named test passes"
# One go test per package, with every test named there (whole tests: a
# subtest the exercise names runs with its siblings).
declare -A tests_of=()
for p in "${patches[@]}"; do
    pkg=$(header "$p" Package) test=$(header "$p" Test)
    tests_of[$pkg]+="${tests_of[$pkg]:+|}${test%%/*}"
done
for pkg in "${!tests_of[@]}"; do
    if ! out=$(go test "$pkg" -run "^(${tests_of[$pkg]})\$" -count=1 -v 2>&1); then
        printf '%s\n' "$out" | grep -E '^(--- FAIL|FAIL|ok)|_test.go:' | tail -n 30 >&2
        fail "a test named by an exercise fails without any patch ($pkg), so its exercise proves nothing." \
            "Fix the code or the test first: go test $pkg -run '^(${tests_of[$pkg]})\$' -count=1 -v"
    fi
    for test in $(tr '|' '\n' <<<"${tests_of[$pkg]}" | sort -u); do
        grep -q -- "^--- PASS: $test " <<<"$out" ||
            fail "$test ($pkg) did not run: was it renamed? Update the Test: line of its patch in docs/exercises/."
        say "  ok  $pkg $test"
    done
done

for p in "${patches[@]}"; do
    pkg=$(header "$p" Package) test=$(header "$p" Test) reason=$(header "$p" Reason)
    name=$(basename "$p" .patch)
    say ""
    say "==> $name: with the patch, $test must fail and say \"$reason\""
    if ! git apply "$p" 2>"$scratch/.apply.err"; then
        cat "$scratch/.apply.err" >&2
        fail "$p no longer applies: the code it breaks has changed." \
            "Make the same break by hand in a checkout, then save it with" \
            "  git diff -U1 -- FILE > $p.new" \
            "and put the header lines of the old patch (up to the first 'diff --git') on top of it."
    fi
    # The packages the patch changes, and the test's: what a learner compiles.
    vet_pkgs=$(sed -n -e 's|^+++ b/\(.*\)/[^/]*$|./\1/|p' -e 's|^+++ b/[^/]*$|./|p' "$p" | sort -u)
    # shellcheck disable=SC2086 # one word per package
    if ! vet=$(go vet $vet_pkgs "$pkg" 2>&1); then
        printf '%s\n' "$vet" | head -n 20 >&2
        git apply -R "$p"
        fail "with $p applied the code does not compile (go vet $(echo $vet_pkgs) $pkg)." \
            "A learner applying it would see this error instead of the test: fix the patch."
    fi
    if out=$(go test "$pkg" -run "$(run_pattern "$test")" -count=1 2>&1); then
        git apply -R "$p"
        fail "$test passes with $p applied: the test no longer catches this break." \
            "Either the code has another guard now (update the exercise and its answer in docs/workshop.md)," \
            "or the test lost its teeth: go test $pkg -run '$(run_pattern "$test")' -count=1 -v"
    fi
    if ! grep -qF -- "$reason" <<<"$out"; then
        printf '%s\n' "$out" | tail -n 30 >&2
        git apply -R "$p"
        fail "$test fails with $p applied, but its output does not contain \"$reason\"." \
            "A learner must read the app's own reason in the failure: fix the test's failure message or the Reason: line."
    fi
    say "  FAIL, as it should: $(grep -m 1 -F -- "$reason" <<<"$out" | sed 's/^[[:space:]]*//' | cut -c 1-160)"
    git apply -R "$p" || fail "$p could not be taken out again (git apply -R)"
done

say ""
say "All ${#patches[@]} exercises proven: each break compiles and its test fails with the app's own reason."
