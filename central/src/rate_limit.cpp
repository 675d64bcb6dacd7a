// Token-bucket rate limiting (see rate_limit.hpp).
#include "rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace shensu::central
{

RateLimiter::RateLimiter(RateLimit limit, std::size_t maxKeys)
    : limit_(limit)
    , maxKeys_(std::max<std::size_t>(4, maxKeys))
{ }

std::size_t RateLimiter::size() const
{
    std::lock_guard lock(mutex_);
    return buckets_.size();
}

void RateLimiter::forgetFullBuckets(Clock::time_point now)
{
    std::erase_if(buckets_, [&](const auto& entry) {
        const auto idle = now - entry.second.updated;
        return limit_.interval.count() == 0 || idle >= limit_.interval * limit_.burst;
    });
    // Still full (many keys in use at once): drop the least recently used quarter, so the O(n)
    // pass runs once per maxKeys/4 new keys, not on every call. A dropped bucket starts full
    // again; the per-kiosk limit in front bounds what that gives away.
    if (buckets_.size() > maxKeys_ * 3 / 4) {
        std::vector<std::pair<Clock::time_point, std::string>> byAge;
        byAge.reserve(buckets_.size());
        for (const auto& [key, bucket] : buckets_)
            byAge.emplace_back(bucket.updated, key);
        const auto drop = static_cast<std::ptrdiff_t>(buckets_.size() - maxKeys_ * 3 / 4);
        std::nth_element(byAge.begin(), byAge.begin() + drop, byAge.end());
        for (auto it = byAge.begin(); it != byAge.begin() + drop; ++it)
            buckets_.erase(it->second);
    }
}

bool RateLimiter::take(
    const std::string& key, Clock::time_point now, std::chrono::milliseconds& retryAfter)
{
    std::lock_guard lock(mutex_);
    if (buckets_.size() >= maxKeys_) forgetFullBuckets(now);
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
