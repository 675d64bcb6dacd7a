// SIGINT and SIGTERM become an orderly quit of the UI loop, whatever the kiosk inherited.
#pragma once

#include <functional>
#include <thread>

namespace shensu::kiosk::app
{

// Construct first in main, before any other thread exists: it blocks SIGINT/SIGTERM in every thread
// and waits for them on its own, so neither an inherited SIG_IGN (a script's background job) nor
// a video driver's uninterruptible wait can keep the kiosk from stopping.
class StopSignals
{
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // Called once, on the signal thread, when a stop signal arrives.
    void onStop(std::function<void()> stop);

private:
    std::thread thread_;
    std::function<void()> stop_;
};

} // namespace shensu::kiosk::app
