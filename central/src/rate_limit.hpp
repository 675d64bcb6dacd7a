// Token buckets keyed by a string (a kiosk id, a case number), for status queries.
#pragma once

#include "workflow.hpp"

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace shensu::central
{

// Thread-safe. Each key starts with `burst` tokens; one comes back per `interval`.
class RateLimiter
{
public:
    using Clock = std::chrono::steady_clock;
    // maxKeys bounds memory: past it, refilled buckets are dropped, then the least recently used.
    explicit RateLimiter(RateLimit limit, std::size_t maxKeys = 100000);
    // Takes a token for key if one is there; otherwise false and how long until the next one.
    bool take(const std::string& key, Clock::time_point now, std::chrono::milliseconds& retryAfter);
    std::size_t size() const;

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
    };
    void forgetFullBuckets(Clock::time_point now);

    RateLimit limit_;
    std::size_t maxKeys_;
    mutable std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

} // namespace shensu::central
