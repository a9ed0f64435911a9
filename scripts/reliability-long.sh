#!/usr/bin/env bash
# The Reliability faults too long for the test command (scripts/test.sh leaves out the tests with
# [Trait("Run", "Long")], see tests/Reliability.Tests/LongRuns.cs): two clusters over one store
# (SplitClusterTests) and the membership store unreachable (MembershipStoreOutageTests), each on
# real processes, a few minutes in all. Needs what scripts/test.sh installs (aiosmtpd, the Garnet tool).
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet tool restore >/dev/null
dotnet test tests/Reliability.Tests --filter "Run=Long" --logger "console;verbosity=detailed"
