// The simulator's control protocol (contract 1): one text line in, one line out, over a Unix stream
// socket.
#pragma once

#include "vpcd_slot.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shensu::cardsim
{

// "insert KIND [SLOT]" → "ok"; "remove [SLOT]" → "ok"; "status" → "ok slot0=KIND|empty slot1=…";
// anything else → "error <reason>".
std::string handleControlLine(std::string_view line, std::vector<std::unique_ptr<VpcdSlot>>& slots);

// Serves the control socket at `path` until SIGTERM or SIGINT arrives on `signalFd`.
void serveControl(
    const std::string& path, int signalFd, std::vector<std::unique_ptr<VpcdSlot>>& slots);

} // namespace shensu::cardsim
