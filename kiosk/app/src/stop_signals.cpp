// SIGINT and SIGTERM become an orderly quit of the UI loop (see stop_signals.hpp).
#include "stop_signals.hpp"

#include <csignal>
#include <mutex>

#include <pthread.h>

namespace shensu::kiosk::app
{
namespace
{
    std::mutex stopMutex;

    // SIGUSR1 only ends the signal thread when the kiosk shuts down by itself.
    sigset_t waitedSignals()
    {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGUSR1);
        return set;
    }
} // namespace

StopSignals::StopSignals()
{
    // An ignored signal is dropped before it could be waited for: restore the default first.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    const sigset_t set = waitedSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    thread_ = std::thread([this] {
        const sigset_t waited = waitedSignals();
        int signal = 0;
        while (sigwait(&waited, &signal) == 0) {
            if (signal == SIGUSR1) return;
            std::lock_guard lock(stopMutex);
            if (stop_) stop_();
        }
    });
}

StopSignals::~StopSignals()
{
    pthread_kill(thread_.native_handle(), SIGUSR1);
    thread_.join();
}

void StopSignals::onStop(std::function<void()> stop)
{
    std::lock_guard lock(stopMutex);
    stop_ = std::move(stop);
}

} // namespace shensu::kiosk::app
