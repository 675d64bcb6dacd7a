// Watches every reader on one thread (SCardGetStatusChange + PnP notification) and reports changes.
#pragma once

#include "cardio/bytes.hpp"
#include "cardio/errors.hpp"

#include <functional>
#include <memory>
#include <string>
#include <variant>

namespace shensu::cardio
{

struct ReaderAdded {
    std::string reader;
};
struct ReaderRemoved {
    std::string reader;
};
struct CardInserted {
    std::string reader;
    Bytes atr;
};
struct CardRemoved {
    std::string reader;
};
// pcscd went away or another fatal monitoring error. Reported once per outage, followed by
// CardRemoved / ReaderRemoved for everything the monitor knew; it retries every ~500 ms and reports
// recovery as ReaderAdded (and CardInserted for cards present then).
struct MonitorFailed {
    CardErrorCode code;
    std::string message;
};

using ReaderEvent
    = std::variant<ReaderAdded, ReaderRemoved, CardInserted, CardRemoved, MonitorFailed>;

class ReaderMonitor
{
public:
    // onEvent is called on the monitor's own thread; it must not block for long.
    explicit ReaderMonitor(std::function<void(const ReaderEvent&)> onEvent);
    ~ReaderMonitor(); // cancels SCardGetStatusChange and joins the thread

    ReaderMonitor(const ReaderMonitor&) = delete;
    ReaderMonitor& operator=(const ReaderMonitor&) = delete;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace shensu::cardio
