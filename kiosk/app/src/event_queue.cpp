// The workers' mailbox to the UI thread.
#include "kiosk/app/event_queue.hpp"

#include <stdexcept>

#include <SDL.h>

namespace shensu::kiosk::app
{

EventQueue::EventQueue()
{
    wakeType_ = SDL_RegisterEvents(1);
    if (wakeType_ == static_cast<std::uint32_t>(-1))
        throw std::runtime_error("SDL_RegisterEvents failed");
}

void EventQueue::post(Event event)
{
    {
        std::lock_guard lock(mutex_);
        events_.push_back(std::move(event));
    }
    wake(); // a full SDL queue only delays the wake-up: the event itself is already queued
}

void EventQueue::wake()
{
    {
        std::lock_guard lock(mutex_);
        pendingWake_ = true;
    }
    woken_.notify_one();
    SDL_Event e {};
    e.type = wakeType_;
    SDL_PushEvent(&e);
}

void EventQueue::waitFor(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    woken_.wait_for(lock, timeout, [this] { return pendingWake_; });
    pendingWake_ = false;
}

std::vector<Event> EventQueue::drain()
{
    std::lock_guard lock(mutex_);
    std::vector<Event> out;
    out.swap(events_);
    return out;
}

} // namespace shensu::kiosk::app
