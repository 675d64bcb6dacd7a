// The reader monitor: one thread blocked in SCardGetStatusChange over every reader plus the PnP
// pseudo-reader.
#include "cardio/reader_monitor.hpp"

#include "pcsc_call.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace shensu::cardio
{

namespace
{
    // pcsc-lite's pseudo-reader that changes whenever a reader is plugged in or out. The name is
    // \\?PnP?\Notification (two backslashes, then one): with two before "Notification" pcsc-lite
    // answers SCARD_E_UNKNOWN_READER.
    constexpr const char* PNP_READER = "\\\\?PnP?\\Notification";
    constexpr auto RETRY_INTERVAL = std::chrono::milliseconds(500);

    struct KnownReader {
        bool present = false;
        DWORD eventCount
            = 0; // pcsc-lite counts insertions and removals in the high 16 bits of dwEventState
    };
} // namespace

struct ReaderMonitor::Impl {
    std::function<void(const ReaderEvent&)> onEvent;

    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    bool exited = false;
    bool haveContext = false;
    SCARDCONTEXT context = 0;

    // Owned by the monitor thread only.
    std::map<std::string, KnownReader> known;
    bool outageReported = false;

    std::thread thread;

    bool shouldStop()
    {
        std::lock_guard lock(mutex);
        return stopping;
    }

    void emit(const ReaderEvent& event)
    {
        try {
            onEvent(event);
        } catch (...) {
            // The callback must not throw; if it does, the monitor still has to keep watching.
        }
    }

    void run()
    {
        while (!shouldStop()) {
            try {
                SCARDCONTEXT ctx = 0;
                SHENSU_PCSC(
                    SCardEstablishContext, DWORD { SCARD_SCOPE_SYSTEM }, nullptr, nullptr, &ctx);
                {
                    std::lock_guard lock(mutex);
                    context = ctx;
                    haveContext = true;
                    if (stopping) break;
                }
                watch(ctx);
            } catch (const CardError& error) {
                if (shouldStop()) break;
                if (!outageReported) {
                    emit(MonitorFailed { error.code(), error.what() });
                    outageReported = true;
                }
                forgetAll();
            }
            releaseContext();
            std::unique_lock lock(mutex);
            wake.wait_for(lock, RETRY_INTERVAL, [this] { return stopping; });
        }
        releaseContext();
        std::lock_guard lock(mutex);
        exited = true;
        wake.notify_all();
    }

    void releaseContext()
    {
        std::lock_guard lock(mutex);
        if (haveContext) SCardReleaseContext(context);
        haveContext = false;
    }

    void forgetAll()
    {
        for (const auto& [name, reader] : known) {
            if (reader.present) emit(CardRemoved { name });
            emit(ReaderRemoved { name });
        }
        known.clear();
    }

    // Reports readers that came and went; returns the reader states to wait on (PnP first).
    std::vector<SCARD_READERSTATE> syncReaders(SCARDCONTEXT ctx, std::vector<std::string>& names,
        const std::vector<SCARD_READERSTATE>& previous)
    {
        names = detail::listReaders(ctx);
        for (auto it = known.begin(); it != known.end();) {
            if (std::find(names.begin(), names.end(), it->first) == names.end()) {
                if (it->second.present) emit(CardRemoved { it->first });
                emit(ReaderRemoved { it->first });
                it = known.erase(it);
            } else {
                ++it;
            }
        }
        for (const auto& name : names) {
            if (known.emplace(name, KnownReader {}).second) emit(ReaderAdded { name });
        }

        std::vector<SCARD_READERSTATE> states(names.size() + 1);
        states[0].szReader = PNP_READER;
        states[0].dwCurrentState
            = previous.empty() ? SCARD_STATE_UNAWARE : previous[0].dwCurrentState;
        for (std::size_t i = 0; i < names.size(); ++i) {
            states[i + 1].szReader = names[i].c_str();
            states[i + 1].dwCurrentState = SCARD_STATE_UNAWARE;
            for (std::size_t j = 1; j < previous.size(); ++j) {
                if (names[i] == previous[j].szReader)
                    states[i + 1].dwCurrentState = previous[j].dwCurrentState;
            }
        }
        return states;
    }

    void noteReaderState(const SCARD_READERSTATE& state)
    {
        KnownReader& reader = known[state.szReader];
        const bool present = (state.dwEventState & SCARD_STATE_PRESENT) != 0;
        const DWORD count = state.dwEventState >> 16;
        if (present) {
            // Out and in again between two wake-ups: the counter moved by two or more while still
            // present.
            const bool swapped = reader.present && ((count - reader.eventCount) & 0xFFFF) >= 2;
            if (!reader.present || swapped) {
                if (reader.present) emit(CardRemoved { state.szReader });
                emit(CardInserted {
                    state.szReader, Bytes(state.rgbAtr, state.rgbAtr + state.cbAtr) });
            }
        } else if (reader.present) {
            emit(CardRemoved { state.szReader });
        }
        reader.present = present;
        reader.eventCount = count;
    }

    void watch(SCARDCONTEXT ctx)
    {
        std::vector<std::string> names;
        std::vector<SCARD_READERSTATE> states = syncReaders(ctx, names, {});
        for (;;) {
            const LONG rv = SCardGetStatusChange(
                ctx, INFINITE, states.data(), static_cast<DWORD>(states.size()));
            if (shouldStop()) return;
            if (rv == SCARD_E_CANCELLED) continue;
            const bool readerVanished
                = rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE;
            if (!readerVanished && rv != SCARD_S_SUCCESS)
                detail::throwPcscError("SCardGetStatusChange", rv);
            // A reader went away between listing and waiting: list again. If the list did not
            // change, the error is not about the list, and looping on it would spin: report it and
            // retry later instead.
            if (readerVanished && detail::listReaders(ctx) == names)
                detail::throwPcscError("SCardGetStatusChange", rv);
            bool relist = readerVanished;
            outageReported = false;
            if (!relist) {
                relist = (states[0].dwEventState & SCARD_STATE_CHANGED) != 0;
                for (std::size_t i = 1; i < states.size(); ++i) {
                    SCARD_READERSTATE& state = states[i];
                    if ((state.dwEventState & SCARD_STATE_CHANGED) == 0) continue;
                    if (state.dwEventState
                        & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE | SCARD_STATE_IGNORE)) {
                        relist = true;
                        continue;
                    }
                    noteReaderState(state);
                }
                for (auto& state : states)
                    state.dwCurrentState = state.dwEventState & ~DWORD { SCARD_STATE_CHANGED };
            }
            if (relist) {
                std::vector<std::string> newNames;
                auto newStates = syncReaders(ctx, newNames, states);
                names = std::move(newNames);
                states = std::move(newStates);
            }
        }
    }
};

ReaderMonitor::ReaderMonitor(std::function<void(const ReaderEvent&)> onEvent)
    : impl_(std::make_unique<Impl>())
{
    impl_->onEvent = std::move(onEvent);
    impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

ReaderMonitor::~ReaderMonitor()
{
    std::unique_lock lock(impl_->mutex);
    impl_->stopping = true;
    impl_->wake.notify_all();
    // SCardCancel only wakes a call already waiting in pcscd, so repeat it until the thread is out.
    while (!impl_->exited) {
        if (impl_->haveContext) SCardCancel(impl_->context);
        impl_->wake.wait_for(lock, std::chrono::milliseconds(20), [this] { return impl_->exited; });
    }
    lock.unlock();
    impl_->thread.join();
}

} // namespace shensu::cardio
