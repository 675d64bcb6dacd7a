// JSON-lines APDU log: {"t_ms":…, "slot":0, "command":"00A4…", "response":"…9000"} (+ a card's
// extra members).
#include "apdu_log.hpp"

#include <stdexcept>

namespace shensu::cardsim
{

namespace
{
    std::string compactHex(const cardio::Bytes& bytes)
    {
        std::string spaced = cardio::toHex(bytes);
        std::erase(spaced, ' ');
        return spaced;
    }
} // namespace

ApduLog::ApduLog(const std::string& path)
    : file_(std::fopen(path.c_str(), "a"))
{
    if (file_ == nullptr) throw std::runtime_error("cannot open APDU log " + path);
}

ApduLog::~ApduLog()
{
    std::fclose(file_);
}

void ApduLog::write(
    int slot, const cardio::Bytes& command, const cardio::Bytes& response, const std::string& extra)
{
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start_)
                        .count();
    const std::string line = "{\"t_ms\":" + std::to_string(ms) + ",\"slot\":" + std::to_string(slot)
        + ",\"command\":\"" + compactHex(command) + "\",\"response\":\"" + compactHex(response)
        + "\"" + extra + "}\n";
    std::lock_guard lock(mutex_);
    std::fputs(line.c_str(), file_);
    std::fflush(file_);
}

} // namespace shensu::cardsim
