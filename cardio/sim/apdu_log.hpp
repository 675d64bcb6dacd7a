// The simulator's APDU log: one JSON line per command/response pair, flushed at once so tests can
// read it live.
#pragma once

#include "cardio/bytes.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

namespace shensu::cardsim
{

class ApduLog
{
public:
    explicit ApduLog(
        const std::string& path); // throws std::runtime_error when the file cannot be opened
    ~ApduLog();
    ApduLog(const ApduLog&) = delete;
    ApduLog& operator=(const ApduLog&) = delete;

    // response empty = the card answered nothing (it left the reader). extra: more JSON members,
    // each with a leading comma.
    void write(int slot, const cardio::Bytes& command, const cardio::Bytes& response,
        const std::string& extra = {});

private:
    std::mutex mutex_;
    std::FILE* file_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

} // namespace shensu::cardsim
