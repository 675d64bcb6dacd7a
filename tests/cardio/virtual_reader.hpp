// What the integration tests need from scripts/with-virtual-reader: the simulator's control socket
// and APDU log, and a recorder that waits (with a deadline) for reader events.
#pragma once

#include "cardio/reader_monitor.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace shensu::cardio::test
{

inline constexpr const char* SLOT0 = "Virtual PCD 00 00";
inline constexpr const char* SLOT1 = "Virtual PCD 00 01";
inline constexpr auto EVENT_TIMEOUT = std::chrono::seconds(5);

// Sends one request line to the simulator (SHENSU_CARDSIM_CTL) and returns its reply line.
std::string askSimulator(const std::string& request);
// The simulator's APDU log lines so far (SHENSU_CARDSIM_LOG).
std::vector<std::string> apduLog();

class EventRecorder
{
public:
    void operator()(const ReaderEvent& event);
    // Waits until some recorded event (from index `from` on) satisfies `match`; returns its index
    // or -1.
    int waitFor(const std::function<bool(const ReaderEvent&)>& match, std::size_t from = 0,
        std::chrono::milliseconds timeout = EVENT_TIMEOUT);
    std::vector<ReaderEvent> events() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<ReaderEvent> events_;
};

bool isCardInserted(const ReaderEvent& e, const std::string& reader);
bool isCardRemoved(const ReaderEvent& e, const std::string& reader);
bool isReaderAdded(const ReaderEvent& e, const std::string& reader);

} // namespace shensu::cardio::test
