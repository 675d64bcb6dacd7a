// The forwarder's retry delay (network/backoff.hpp): the ceiling doubles per attempt up to the cap,
// and the draws under it are spread (jitter), so kiosks that failed together do not retry together.
#include <network/backoff.hpp>

#include <catch2/catch.hpp>
#include <set>

using namespace std::chrono_literals;
using shensu::network::backoffDelay;

TEST_CASE("the retry delay's ceiling doubles per attempt up to the cap and its draws are jittered",
    "[forwarder]")
{
    std::mt19937_64 rng(20261123);
    const auto first = 100ms;
    const auto cap = 3000ms;
    // Attempt n: uniformly in [100, min(3000, 100 * 2^(n+1))] ms.
    const std::int64_t ceilings[] = { 200, 400, 800, 1600, 3000, 3000, 3000 };
    std::int64_t previousLargest = 0;
    for (std::int64_t n = 0; n < 7; ++n) {
        INFO("attempt " << n);
        std::set<std::int64_t> seen;
        std::int64_t smallest = 1 << 30, largest = 0;
        for (int i = 0; i < 2000; ++i) {
            const auto d = backoffDelay(n, first, cap, rng).count();
            seen.insert(d);
            smallest = std::min(smallest, d);
            largest = std::max(largest, d);
        }
        CHECK(smallest >= 100);
        CHECK(largest <= ceilings[n]);
        // 2000 uniform draws come within 5 % of both ends.
        CHECK(smallest <= 100 + (ceilings[n] - 100) / 20);
        CHECK(largest >= ceilings[n] - (ceilings[n] - 100) / 20);
        // Jitter: the draws are spread, not one value (at least half the range is hit).
        CHECK(seen.size()
            >= static_cast<std::size_t>(std::min<std::int64_t>(1000, (ceilings[n] - 100) / 2)));
        if (n < 4) CHECK(largest > previousLargest); // grows until the cap
        previousLargest = largest;
    }
    // Two generators seeded differently (two kiosks) do not retry in step.
    std::mt19937_64 a(1), b(2);
    int same = 0;
    for (int i = 0; i < 100; ++i)
        same += backoffDelay(3, first, cap, a) == backoffDelay(3, first, cap, b);
    CHECK(same < 10);
    // A cap below the first delay, or a zero first delay, still gives a positive wait.
    CHECK(backoffDelay(5, 500ms, 100ms, rng) == 500ms);
    CHECK(backoffDelay(0, 0ms, 0ms, rng) == 1ms);
}
