// Helpers for tests that run under scripts/with-virtual-reader.
#include "virtual_reader.hpp"

#include "control_client.hpp"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <unistd.h>

namespace shensu::cardio::test
{

namespace
{
    std::string requireEnv(const char* name)
    {
        const char* value = std::getenv(name);
        if (value == nullptr || *value == '\0') {
            throw std::runtime_error(
                std::string(name) + " is not set: run this under scripts/with-virtual-reader");
        }
        return value;
    }
} // namespace

std::string askSimulator(const std::string& request)
{
    return cardsim::askControl(requireEnv("SHENSU_CARDSIM_CTL"), request);
}

std::vector<std::string> apduLog()
{
    std::ifstream in(requireEnv("SHENSU_CARDSIM_LOG"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

void EventRecorder::operator()(const ReaderEvent& event)
{
    std::lock_guard lock(mutex_);
    events_.push_back(event);
    changed_.notify_all();
}

int EventRecorder::waitFor(const std::function<bool(const ReaderEvent&)>& match, std::size_t from,
    std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    int found = -1;
    changed_.wait_for(lock, timeout, [&] {
        for (std::size_t i = from; i < events_.size(); ++i) {
            if (match(events_[i])) {
                found = static_cast<int>(i);
                return true;
            }
        }
        return false;
    });
    return found;
}

std::vector<ReaderEvent> EventRecorder::events() const
{
    std::lock_guard lock(mutex_);
    return events_;
}

bool isCardInserted(const ReaderEvent& e, const std::string& reader)
{
    const auto* inserted = std::get_if<CardInserted>(&e);
    return inserted != nullptr && inserted->reader == reader;
}

bool isCardRemoved(const ReaderEvent& e, const std::string& reader)
{
    const auto* removed = std::get_if<CardRemoved>(&e);
    return removed != nullptr && removed->reader == reader;
}

bool isReaderAdded(const ReaderEvent& e, const std::string& reader)
{
    const auto* added = std::get_if<ReaderAdded>(&e);
    return added != nullptr && added->reader == reader;
}

} // namespace shensu::cardio::test
