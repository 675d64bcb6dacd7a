// Test support for running real programs: child processes with pipes, run(), temp dirs, files.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace shensu::testing
{

class Process
{
public:
    // Starts argv[0] (a path) with the current environment plus `env`; stdin and stdout are pipes,
    // stderr goes to stderrPath when given (else it is inherited).
    Process(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
        std::optional<std::filesystem::path> stderrPath = std::nullopt);
    ~Process(); // SIGTERM, then SIGKILL after 3 s
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const noexcept { return pid_; }

    void writeLine(const std::string& line);
    void closeStdin();
    // One line of stdout without the newline, or nullopt at end of file or timeout.
    std::optional<std::string> readLine(std::chrono::milliseconds timeout);

    void signal(int sig);
    // Waits for the exit; returns the exit code (128+signal when killed), or nullopt on timeout.
    std::optional<int> wait(std::chrono::milliseconds timeout);

private:
    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    std::string buffer_;
    std::optional<int> status_;
};

struct CommandResult {
    int exitCode = -1; // 128+signal when killed, -1 when it did not end in time
    std::string output; // stdout, kept apart so that it can be parsed
    std::string errors; // stderr, for messages and INFO()
};
// Runs argv to completion (argv[0] is looked up in PATH, stdin is /dev/null); a command still
// running after `timeout` is killed.
CommandResult run(const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A fresh directory under $TMPDIR, removed with everything in it at the end.
class TempDir
{
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& name) const
    {
        return path_ / name;
    }

private:
    std::filesystem::path path_;
};

// Directories of the build and the source tree, from SHENSU_BIN / SHENSU_SOURCE_DIR set by CTest.
std::filesystem::path binDir();
std::filesystem::path sourceDir();

// The whole file, or "" if it cannot be read.
std::string readFile(const std::filesystem::path& path);
void writeFile(const std::filesystem::path& path, const std::string& bytes);
bool fileContains(const std::filesystem::path& path, const std::string& needle);

} // namespace shensu::testing
