// `shensu-cardsim --wait-ready`: blocks until pcscd shows the simulator's readers and every
// inserted card.
#pragma once

#include <chrono>
#include <string>

namespace shensu::cardsim
{

// Asks the simulator at `control` which slots hold cards, then watches pcscd (ReaderMonitor) until
// readers "Virtual PCD 00 0N" exist for every slot and the occupied ones hold a card. Returns 0
// when ready, 1 on timeout.
int waitReady(const std::string& control, std::chrono::milliseconds timeout);

} // namespace shensu::cardsim
