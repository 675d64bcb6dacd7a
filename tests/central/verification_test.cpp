// Verification codes under scrypt, and the status-query rate limiter.
#include "rate_limit.hpp"
#include "verification.hpp"

#include <network/protocol.hpp>

#include <array>
#include <catch2/catch.hpp>
#include <set>

using namespace shensu::central;

TEST_CASE("new verification codes are well formed and do not repeat", "[verification]")
{
    std::set<std::string> seen;
    std::array<int, 10> firstDigits {};
    for (int i = 0; i < 2000; ++i) {
        const auto code = newVerificationCode();
        REQUIRE(shensu::network::protocol::isWellFormedVerificationCode(code));
        seen.insert(code);
        ++firstDigits[static_cast<std::size_t>(code[0] - '0')];
    }
    CHECK(seen.size() == 2000);
    for (int count : firstDigits) // 200 expected each; far outside this means bias
        CHECK((count > 120 && count < 280));
}

TEST_CASE("a verification hash matches its code only, and two hashes of one code differ",
    "[verification]")
{
    const std::string code = "0123456789012347";
    const auto stored = hashVerificationCode(code, { 16, 8, 1 }); // cheap cost: a unit test
    CHECK(stored.starts_with("scrypt$16$8$1$"));
    CHECK(verificationCodeMatches(code, stored));
    CHECK_FALSE(verificationCodeMatches("1234567890123452", stored));
    CHECK(hashVerificationCode(code, { 16, 8, 1 }) != stored); // salted
    CHECK_FALSE(verificationCodeMatches(code, "scrypt$16$8$1$00$00"));
    CHECK_FALSE(verificationCodeMatches(code, "sha256$" + stored.substr(7)));
    CHECK_FALSE(verificationCodeMatches(code, ""));
    CHECK(hashVerificationCode(code).starts_with("scrypt$512$8$1$")); // the production cost

    // A tampered cost is a mismatch, not an exception (500) or gigabytes of memory.
    const std::string tail = stored.substr(std::string("scrypt$16$8$1$").size());
    CHECK_FALSE(verificationCodeMatches(code, "scrypt$24$8$1$" + tail)); // not a power of two
    CHECK_FALSE(verificationCodeMatches(code, "scrypt$1048576$32$1$" + tail)); // 4 GiB
    CHECK_FALSE(verificationCodeMatches(code, "scrypt$16$8$16$" + tail));
    CHECK(verificationCodeMatches(code, "scrypt$16$8$1$" + tail));
}

TEST_CASE("the rate limiter allows a burst, then one per interval, per key", "[verification]")
{
    RateLimiter limiter({ 3, std::chrono::seconds(10) });
    const auto t0 = RateLimiter::Clock::now();
    std::chrono::milliseconds wait { 0 };
    for (int i = 0; i < 3; ++i)
        CHECK(limiter.take("1151123-0001", t0, wait));
    CHECK_FALSE(limiter.take("1151123-0001", t0, wait));
    CHECK(wait == std::chrono::seconds(10));
    CHECK(limiter.take("1151123-0002", t0, wait)); // another key has its own bucket
    CHECK_FALSE(limiter.take("1151123-0001", t0 + std::chrono::seconds(9), wait));
    CHECK(limiter.take("1151123-0001", t0 + std::chrono::seconds(11), wait));
    CHECK_FALSE(limiter.take("1151123-0001", t0 + std::chrono::seconds(11), wait));
}

TEST_CASE("the rate limiter keeps at most its key budget, dropping the least recently used",
    "[verification]")
{
    RateLimiter limiter(RateLimit { 1, std::chrono::minutes(1) }, 8);
    const auto t0 = RateLimiter::Clock::now();
    std::chrono::milliseconds retryAfter {};
    REQUIRE(limiter.take("hot", t0, retryAfter));
    for (int i = 0; i < 1000; ++i) {
        const auto now = t0 + std::chrono::milliseconds(i + 1);
        limiter.take("probe " + std::to_string(i), now, retryAfter);
        CHECK_FALSE(limiter.take("hot", now, retryAfter)); // still limited: never dropped
        REQUIRE(limiter.size() <= 8);
    }
}
