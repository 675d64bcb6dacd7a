// A real shensu-central for tests: serving from the test PKI on an ephemeral or a given loopback
// port, checked to exit cleanly when stopped.
#pragma once

#include "pki.hpp"
#include "postgres.hpp"
#include "process.hpp"

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace shensu::testing
{

class RunningCentral
{
public:
    // serverCert is the file stem in pki of the certificate central presents: "central-server" or
    // "rogue-server". port 0 lets the system pick one. Central's stderr goes to db +
    // ".central.log". receiptSigner is the file stem of the certificate and key central signs
    // receipts with: "central-receipt" (what kiosks pin), or another pair such as "rogue-server" to
    // play a central whose receipts must be refused.
    // extraArgs go after the standard ones (e.g. {"--workflow", F}, centralAuthArgs()). db is
    // central's SQLite file, or under SHENSU_TEST_DB=postgres names a PostgreSQL database of the
    // process's cluster (centralDb, postgres.hpp; with the login service, --nhi-key db.nhi-key).
    // Central gets --forms <source>/assets/forms (every filing's answers checked by the kiosk's
    // validator) unless extraArgs has its own --forms; {"--forms", ""} runs central unchecked.
    RunningCentral(const std::filesystem::path& pki, const std::filesystem::path& db,
        const std::string& serverCert = "central-server", int port = 0,
        const std::string& receiptSigner = "central-receipt",
        const std::vector<std::string>& extraArgs = {});
    // Stops central if it still runs and fails the current test (with central's log) unless it
    // exited 0: a sanitizer finding in central makes its exit status non-zero.
    ~RunningCentral();
    RunningCentral(const RunningCentral&) = delete;
    RunningCentral& operator=(const RunningCentral&) = delete;

    int port() const noexcept { return port_; }
    std::string url() const { return "https://central.shensu.test:" + std::to_string(port_); }
    std::string resolve() const
    {
        return "central.shensu.test:" + std::to_string(port_) + ":127.0.0.1";
    }
    const std::filesystem::path& logPath() const noexcept { return log_; }
    // Everything central printed on stdout after its "listening on" line, complete once stop()
    // has returned (for scans of all central wrote).
    const std::string& output() const noexcept { return output_; }

    // Stops it now: SIGTERM, and SIGKILL if it is still running 5 s later, so that a central
    // ignoring SIGTERM fails the test instead of hanging it. Returns its exit status (128+signal
    // when killed), again on later calls.
    int stop();

private:
    std::filesystem::path log_;
    std::unique_ptr<Process> process_;
    std::string output_;
    int port_ = 0;
    int status_ = -1;
};

// `shensu-central cases --db F`, one JSON object per stored case.
std::vector<nlohmann::json> storedCases(const std::filesystem::path& db);

// The flags that turn on central's login service (/v1/auth/*) with the test PKI's MOICA CA and CRL,
// the committed synthetic directory tests/central/personnel.json, and nhiRegistry if not empty
// (see registerNhiCard).
std::vector<std::string> centralAuthArgs(
    const std::filesystem::path& pki, const std::filesystem::path& nhiRegistry = {});

// `shensu-central nhi-register`: adds a health card with a registration password (made up by the
// test, never a real one) to the registry file, created if missing.
void registerNhiCard(const std::filesystem::path& registry, const std::string& cardNumber,
    const std::string& password, const std::string& name, const std::string& agency);

// A loopback port nobody listens on right now (bound, read, closed): for a central started later.
int unusedPort();

} // namespace shensu::testing
