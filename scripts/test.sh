#!/usr/bin/env bash
# The whole test suite: type checks, unit tests, and the end-to-end suite (official openai SDK
# 4.x/5.x/6.x against a listening server) on SQLite and on PostgreSQL.
#   OA_TEST_BACKENDS=sqlite npm test     # one backend only
#   npm test -- test/e2e/files.test.ts   # some files only
# The robustness suite (test/robustness/) runs here in its bounded form; `npm run robustness`
# runs it in full (OA_ROBUSTNESS=full).
set -euo pipefail
cd "$(dirname "$0")/.."

# The SDK majors live in their own package (openai@4 wants zod 3, the server uses zod 4).
if [ ! -f test/e2e/node_modules/.package-lock.json ] || [ test/e2e/package-lock.json -nt test/e2e/node_modules/.package-lock.json ]; then
  npm ci --prefix test/e2e --no-audit --no-fund
fi

if [[ "${OA_TEST_BACKENDS:-sqlite,postgres}" == *postgres* ]]; then
  url="${OA_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if ! node -e "const c=new (require('pg').Client)({connectionString:process.argv[1]});c.connect().then(()=>c.end()).catch(e=>{console.error(e.message);process.exit(1)})" "$url"; then
    echo "PostgreSQL is not reachable at $url. Start it, set OA_TEST_PG_URL, or run OA_TEST_BACKENDS=sqlite npm test." >&2
    exit 1
  fi
fi

npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p test/tsconfig.json

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  shopt -s globstar nullglob
  files=()
  for f in test/unit/**/*.test.ts test/e2e/**/*.test.ts test/robustness/**/*.test.ts; do
    [[ "$f" == *node_modules* ]] || files+=("$f")
  done
fi
exec node --import tsx --test --test-concurrency=2 "${files[@]}"
