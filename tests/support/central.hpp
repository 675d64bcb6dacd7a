// A real shensu-central for tests: test PKI made at run time, the server on an ephemeral loopback port.
#pragma once

#include "process.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace shensu::testing
{

// Runs scripts/make-test-pki into dir (see that script for the files it writes).
void makeTestPki(const std::filesystem::path& dir);

class RunningCentral
{
public:
    // serverCert is the file stem of the certificate central presents: "central-server" or "rogue-server".
    RunningCentral(const std::filesystem::path& pkiDir, const std::filesystem::path& dbPath,
        const std::string& serverCert = "central-server", int port = 0);
    ~RunningCentral();

    int port() const noexcept { return port_; }
    std::string url() const { return "https://central.shensu.test:" + std::to_string(port_); }
    std::string resolve() const { return "central.shensu.test:" + std::to_string(port_) + ":127.0.0.1"; }
    void stop();

private:
    std::unique_ptr<Process> process_;
    int port_ = 0;
};

// `shensu-central cases --db F`, one JSON object per stored case.
std::vector<nlohmann::json> storedCases(const std::filesystem::path& dbPath);

} // namespace shensu::testing
