// The core: (State, Event) -> (State, Commands). Pure, never blocks, no UI, no I/O.
#pragma once

#include "kiosk/core/commands.hpp"
#include "kiosk/core/events.hpp"
#include "kiosk/core/state.hpp"

#include <vector>

namespace shensu::kiosk
{

struct StepResult {
    State state;
    std::vector<Command> commands;
};

StepResult step(State state, const Event& event);

// The filing sent to central: {form:{id,version}, answers, filer, kioskId, createdAt}.
nlohmann::json buildFiling(const State& state, const std::string& createdAt);

} // namespace shensu::kiosk
