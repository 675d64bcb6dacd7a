// Verification codes: drawn at random, handed to the filer once (in the signed receipt), kept by
// central only as a salted scrypt hash.
#pragma once

#include <string>
#include <string_view>

namespace shensu::central
{

// scrypt cost. N = 2^10, r = 8, p = 1 costs ~1 ms and 1 MiB per hash here (bench/central_bench
// measures it with the rest of a filing): 15 random digits (10^15 codes) then take a core about
// 30,000 years to search for one case, while central still registers well over 500 filings/s on
// two cores. Stored with each hash, so it can be raised later without breaking old cases.
struct ScryptCost {
    unsigned long long n = 1024;
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
