// The client side of the simulator's control socket, shared by the simulator's own modes and the
// tests.
#pragma once

#include <string>

#include <sys/un.h>

namespace shensu::cardsim
{

// The socket address for `path`; throws std::runtime_error when the path is too long.
sockaddr_un unixAddress(const std::string& path);

// Connects to a control socket, sends one line, returns the reply line (without newline).
// Throws std::runtime_error when the socket cannot be reached.
std::string askControl(const std::string& path, const std::string& line);

} // namespace shensu::cardsim
