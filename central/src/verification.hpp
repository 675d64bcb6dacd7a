// Verification codes: drawn at random, handed to the filer once (in the signed receipt), kept by
// central only as a salted scrypt hash.
#pragma once

#include <string>
#include <string_view>

namespace shensu::central
{

// scrypt cost. N = 2^9, r = 8, p = 1: 512 KiB of memory and 0.81 ms per hash (median, the
// "central step" row of bench_network, 2026-11-23, one thread of this 2-core VM). It is the
// largest single step of a filing: 0.81 of central's 1.8 ms CPU per filing (envelope open 0.38 ms,
// TLS, HTTP, storage the rest), so 2 cores give central ~1,100 filings/s (issue #5: >= 500/s).
// Brute force: a code is 15 random digits + a check digit (10^15); one case's code takes on
// average 5 * 10^14 hashes, ~13,000 core-years at this cost, memory-hard; and the hash is only
// exposed if the register itself leaks. N = 2^10 would add ~0.8 ms per filing (capacity ~750/s)
// for twice the margin. The cost is stored with each hash, so it can be raised later without
// breaking old cases.
struct ScryptCost {
    unsigned long long n = 512;
    unsigned r = 8;
    unsigned p = 1;
};

// 15 digits from RAND_bytes (rejection sampling: no modulo bias) + the Luhn check digit.
std::string newVerificationCode();

// "scrypt$N$r$p$<salt hex>$<hash hex>" with a fresh 16-byte salt.
std::string hashVerificationCode(std::string_view code, ScryptCost cost = {});

// Recomputes the hash with the stored salt and cost and compares in constant time. A malformed
// stored value is a mismatch.
bool verificationCodeMatches(std::string_view code, const std::string& stored);

// Spends the same work as verificationCodeMatches without a stored hash, so that an unknown case
// costs as long to answer as a wrong code (no timing oracle for which case numbers exist).
void spendVerificationWork(std::string_view code, ScryptCost cost = {});

} // namespace shensu::central
