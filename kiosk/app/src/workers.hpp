// The two worker threads: the card worker (PC/SC) and the network worker (sealing, outbox,
// forwarding).
#pragma once

#include "kiosk/app/config.hpp"
#include "kiosk/app/event_queue.hpp"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace shensu::kiosk::app
{

// Owns the reader monitor and reads health cards on its own thread; posts card events.
class CardWorker
{
public:
    explicit CardWorker(EventQueue& queue);
    ~CardWorker();
    CardWorker(const CardWorker&) = delete;
    CardWorker& operator=(const CardWorker&) = delete;

    void read(const std::string& reader); // -> HealthCardRead | CardReadFailed

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Owns the forwarder (when the config has a network part); store() runs on its thread, never the
// UI's.
class NetworkWorker
{
public:
    NetworkWorker(EventQueue& queue, const KioskConfig& config);
    ~NetworkWorker();
    NetworkWorker(const NetworkWorker&) = delete;
    NetworkWorker& operator=(const NetworkWorker&) = delete;

    void store(nlohmann::json
            filing); // -> FilingStored | FilingStoreFailed, later FilingAccepted | FilingDeferred

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace shensu::kiosk::app
