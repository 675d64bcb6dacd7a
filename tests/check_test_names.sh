#!/bin/sh
# ctest's Catch discovery (catch_discover_tests) keeps test names in a CMake list: a ';' in a
# TEST_CASE name cuts it there, and ctest then runs a filter that matches no test and passes
# without running anything. Lists every TEST_CASE name (across its string literals) holding one.
cd "$(dirname "$0")/.." || exit 2
found=$(git ls-files 'tests/*.cpp' 'bench/*.cpp' | xargs perl -0ne '
    while (/TEST_CASE\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)/g) {
        my $name = $1;
        print "$ARGV: $name\n" if $name =~ /;/;
    }')
if [ -n "$found" ]; then
    printf '%s\n' "$found" >&2
    echo "these test names hold a ';': ctest would run none of them (use a comma)" >&2
    exit 1
fi
