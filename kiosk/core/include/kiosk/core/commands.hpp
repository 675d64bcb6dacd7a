// What the core asks the workers to do; their answers come back as events.
#pragma once

#include "kiosk/core/events.hpp"

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

namespace shensu::kiosk
{

// Card worker: read the health card in this reader -> HealthCardRead | CardReadFailed.
struct ReadHealthCard {
    std::string reader;
};
// Network worker: seal and store durably -> FilingStored | FilingStoreFailed, later FilingAccepted
// | FilingDeferred.
struct StoreFiling {
    nlohmann::json filing;
};
// App: post TimerExpired{timer, generation} after the delay; a new StartTimer for the same timer
// replaces it.
struct StartTimer {
    TimerId timer = TimerId::SUBMIT_WAIT;
    std::chrono::milliseconds after { 0 };
    std::uint64_t generation = 0;
};

using Command = std::variant<ReadHealthCard, StoreFiling, StartTimer>;

} // namespace shensu::kiosk
