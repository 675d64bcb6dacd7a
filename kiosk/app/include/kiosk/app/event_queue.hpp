// Where workers post events for the UI thread; posting wakes the SDL loop (SDL_PushEvent).
#pragma once

#include "kiosk/core/events.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace shensu::kiosk::app
{

class EventQueue
{
public:
    EventQueue(); // after SDL_Init: registers the wake-up event type
    void post(Event event); // any thread
    std::vector<Event> drain(); // UI thread
    void wake(); // any thread: wake the UI thread without an event (e.g. a script line arrived)
    // UI thread, for video drivers SDL cannot block on: sleeps until post()/wake() or the timeout.
    void waitFor(std::chrono::milliseconds timeout);
    std::uint32_t wakeEventType() const noexcept { return wakeType_; }

private:
    std::mutex mutex_;
    std::condition_variable woken_;
    bool pendingWake_ = false;
    std::vector<Event> events_;
    std::uint32_t wakeType_ = 0;
};

} // namespace shensu::kiosk::app
