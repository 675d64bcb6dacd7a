// The forwarder's retry delay, as a free function so that tests can draw from it directly.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace shensu::network
{

// The wait after failed attempt number attemptsSoFar (0-based): "full jitter" with a floor,
// uniformly in [first, min(cap, first * 2^(attemptsSoFar+1))]. The ceiling doubles per attempt up
// to maxDelay, and kiosks that failed together spread out. first is at least 1 ms; a maxDelay
// below it counts as first.
inline std::chrono::milliseconds backoffDelay(std::int64_t attemptsSoFar,
    std::chrono::milliseconds firstDelay, std::chrono::milliseconds maxDelay, std::mt19937_64& rng)
{
    const auto first = std::max<std::int64_t>(1, firstDelay.count());
    const auto cap = std::max<std::int64_t>(first, maxDelay.count());
    std::int64_t ceiling = first;
    for (std::int64_t i = 0; i <= attemptsSoFar && ceiling < cap; ++i)
        ceiling *= 2;
    std::uniform_int_distribution<std::int64_t> pick(first, std::min(ceiling, cap));
    return std::chrono::milliseconds(pick(rng));
}

} // namespace shensu::network
