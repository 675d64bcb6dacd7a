// Test support for network and central: temp dirs, the test PKI, a real shensu-central child
// process, files.
#pragma once

#include <network/forwarder.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace shensu::test
{

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed at the end.
class TempDir
{
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

// The test PKI of scripts/make-test-pki, made once per test run.
const fs::path& pkiDir();

struct CommandResult {
    int exitCode = -1;
    std::string output; // stdout and stderr
};
// Runs argv (no shell) and waits; stdout and stderr are captured together.
CommandResult run(const std::vector<std::string>& argv);

std::string readFile(const fs::path& file);
void writeFile(const fs::path& file, const std::string& bytes);
bool fileContains(const fs::path& file, const std::string& needle);

// A real shensu-central serving from PKI files; stopped (SIGTERM, by pid) when destroyed.
class CentralProcess
{
public:
    // serverCert/serverKey default to central-server; port 0 picks a free port.
    CentralProcess(
        const fs::path& db, int port = 0, const std::string& serverName = "central-server");
    ~CentralProcess();
    CentralProcess(const CentralProcess&) = delete;
    CentralProcess& operator=(const CentralProcess&) = delete;

    int port() const { return port_; }
    std::string url() const { return "https://central.shensu.test:" + std::to_string(port_); }
    std::string resolve() const
    {
        return "central.shensu.test:" + std::to_string(port_) + ":127.0.0.1";
    }
    // Stops it now (SIGTERM, wait); returns its exit status. The destructor also checks it was 0 (a
    // sanitizer finding in central makes it non-zero) and shows central's log if not.
    int stop();

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::string log_;
};

// `shensu-central cases --db F` parsed: one JSON object per line.
std::vector<nlohmann::json> listCases(const fs::path& db);

// A port nobody listens on right now (bound, read, closed).
int unusedPort();

// A forwarder config for the test PKI (delays short so tests are quick).
network::ForwarderConfig forwarderConfig(const fs::path& outbox, int port);

// Collects forwarder results across threads.
class ResultLog
{
public:
    void operator()(const network::ForwardResult& r);
    // Waits for the n-th result (1-based) up to timeout; nullopt if it did not come.
    std::optional<network::ForwardResult> waitFor(std::size_t n, std::chrono::milliseconds timeout);
    std::size_t size() const;
    // When each result arrived.
    std::vector<std::chrono::steady_clock::time_point> times() const;

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<network::ForwardResult> results_;
    std::vector<std::chrono::steady_clock::time_point> times_;
};

// True if text has exactly the shape of pattern, where '9' is any digit, 'x' any lower-case hex
// digit and every other character stands for itself. (Not std::regex: g++ 12 warns inside it under
// the sanitizers.)
bool matchesShape(const std::string& text, const std::string& pattern);

// A synthetic filing: clearly fake person, no real data.
nlohmann::json syntheticFiling(const std::string& marker = "");

} // namespace shensu::test
