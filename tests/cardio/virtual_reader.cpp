// Helpers for tests that run under scripts/with-virtual-reader.
#include "virtual_reader.hpp"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <sys/socket.h>
#include <sys/un.h>
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
    const std::string path = requireEnv("SHENSU_CARDSIM_CTL");
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        if (fd >= 0) close(fd);
        throw std::runtime_error("cannot reach the simulator at " + path);
    }
    const std::string line = request + "\n";
    send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    std::string reply;
    char c = 0;
    while (recv(fd, &c, 1, 0) == 1 && c != '\n')
        reply.push_back(c);
    close(fd);
    return reply;
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
