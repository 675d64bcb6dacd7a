// Headless automation (docs/automation.md): JSON-lines commands in, JSON-lines events out.
#pragma once

#include "kiosk/app/shell.hpp"

#include <filesystem>
#include <istream>
#include <ostream>
#include <string>

namespace shensu::kiosk::app
{

// Prints {"event":"screen"...} etc. for every change of the shell's state, from now on.
void reportEvents(Shell& shell, std::ostream& out);

// Runs the script; returns 0 after quit or end of input, 1 after a script_error (printed).
// Relative screenshot paths are taken relative to screenshotDir when it is not empty.
int runScript(Shell& shell, std::istream& script, std::ostream& out,
    const std::filesystem::path& screenshotDir = {});

// One request to the card simulator's control socket ($SHENSU_CARDSIM_CTL): "insert health 0" ->
// "ok".
bool cardSimulatorRequest(const std::string& line, std::string& reply, std::string& error);

} // namespace shensu::kiosk::app
