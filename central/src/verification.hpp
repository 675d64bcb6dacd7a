// Verification codes: drawn at random, handed to the filer once (in the signed receipt), kept by
// central only as a salted scrypt hash.
#pragma once

#include <string>
#include <string_view>

namespace shensu::central
{

// scrypt cost. N = 2^9, r = 8, p = 1: 512 KiB and ~0.8 ms per hash, measured by bench_network on
// this (shared, loaded) 2-core VM. Searching 10^15 codes for one case then takes a core ~25,000
// years, memory-hard; N = 2^10 cost central ~1 ms more CPU per filing, which left
// too little headroom for 500 filings/s on two cores (bench_network: 2.9 ms CPU per filing).
// The cost is stored with each hash, so it can be raised later without breaking old cases.
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
