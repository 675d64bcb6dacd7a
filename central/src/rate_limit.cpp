// Token-bucket rate limiting (see rate_limit.hpp).
#include "rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace shensu::central
{

namespace
{
    // Beyond this many keys, buckets that have refilled are dropped (they equal a fresh one), so
    // probing many case numbers cannot grow memory without bound.
    constexpr std::size_t MAX_KEYS = 100000;
} // namespace

RateLimiter::RateLimiter(RateLimit limit)
    : limit_(limit)
{ }

void RateLimiter::forgetFullBuckets(Clock::time_point now)
{
    std::erase_if(buckets_, [&](const auto& entry) {
        const auto idle = now - entry.second.updated;
        return limit_.interval.count() == 0 || idle >= limit_.interval * limit_.burst;
    });
}

bool RateLimiter::take(
    const std::string& key, Clock::time_point now, std::chrono::milliseconds& retryAfter)
{
    std::lock_guard lock(mutex_);
    if (buckets_.size() >= MAX_KEYS) forgetFullBuckets(now);
    auto [it, fresh] = buckets_.try_emplace(key, Bucket { double(limit_.burst), now });
    Bucket& b = it->second;
    if (!fresh && limit_.interval.count() > 0) {
        const double earned = std::chrono::duration<double>(now - b.updated)
            / std::chrono::duration<double>(limit_.interval);
        b.tokens = std::min<double>(limit_.burst, b.tokens + std::max(0.0, earned));
    } else if (!fresh) {
        b.tokens = limit_.burst;
    }
    b.updated = now;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        retryAfter = std::chrono::milliseconds(0);
        return true;
    }
    retryAfter = std::chrono::milliseconds(static_cast<long long>(
        std::ceil((1.0 - b.tokens) * static_cast<double>(limit_.interval.count()))));
    return false;
}

} // namespace shensu::central
