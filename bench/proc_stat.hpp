// CPU time of a process from /proc/PID/stat, for the benchmarks.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <sys/types.h>
#include <unistd.h>

namespace shensu::bench
{

// utime + stime of a process, in clock ticks; with children: plus cutime + cstime (its children
// it has waited for, e.g. PostgreSQL's backends once they have exited).
inline long cpuTicks(pid_t pid, bool withChildren = false)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text); // one line; the command name in () may hold spaces
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    long ticks = 0;
    for (int i = 3; fields >> field && i <= (withChildren ? 17 : 15); ++i) {
        if (i >= 14) ticks += std::stol(field);
    }
    return ticks;
}

// cpuTicks in seconds.
inline double cpuSeconds(pid_t pid, bool withChildren = false)
{
    return static_cast<double>(cpuTicks(pid, withChildren))
        / static_cast<double>(sysconf(_SC_CLK_TCK));
}

} // namespace shensu::bench
