// End to end: the headless kiosk sends its heartbeat to a real central by itself, at start and
// then every heartbeatSeconds; `shensu-central kiosks` is what an operator reads.
#include "central.hpp"
#include "kiosk.hpp"
#include "pki.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace shensu::testing;
using nlohmann::json;

namespace
{

// The heartbeat central keeps for KIOSK-TEST-01, or null while there is none.
json kioskHeartbeat(const std::filesystem::path& db)
{
    const auto listed
        = run({ (binDir() / "shensu-central").string(), "kiosks", "--db", db.string() });
    INFO(listed.errors);
    REQUIRE(listed.exitCode == 0);
    std::istringstream lines(listed.output);
    for (std::string line; std::getline(lines, line);) {
        const auto j = json::parse(line);
        if (j.value("kioskId", "") == "KIOSK-TEST-01") return j;
    }
    return nullptr;
}

json waitForHeartbeat(
    const std::filesystem::path& db, const std::function<bool(const json&)>& match)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto j = kioskHeartbeat(db); !j.is_null() && match(j)) return j;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL("central got no (new) heartbeat from the kiosk in 10 s");
    return nullptr;
}

} // namespace

TEST_CASE("The kiosk sends central a heartbeat at start and again every heartbeatSeconds: its "
          "version and outbox, nothing about anyone")
{
    TempDir dir;
    RunningCentral central(fixturePki(), dir.path() / "central.sqlite");
    KioskSession kiosk(
        writeKioskConfig({ fixturePki(), dir.path(), central.url(), central.resolve() },
            { { "heartbeatSeconds", 1 } }));
    kiosk.waitForScreen("home");

    const auto first
        = waitForHeartbeat(dir.path() / "central.sqlite", [](const json&) { return true; });
    // The kiosk id is the one in its client certificate (central takes it from mutual TLS).
    CHECK(first["kioskId"] == "KIOSK-TEST-01");
    CHECK(std::regex_match(first["version"].get<std::string>(), std::regex(R"(\d+\.\d+\.\d+)")));
    CHECK(first["outboxDepth"] == 0);
    CHECK(first["oldestOutboxAgeSeconds"] == 0);
    CHECK(first["heldFilings"] == 0);
    // Only health: central refuses any other field, and this is all it kept.
    std::set<std::string> keys;
    for (const auto& [key, value] : first.items())
        keys.insert(key);
    CHECK(keys
        == std::set<std::string> { "kioskId", "receivedAt", "version", "outboxDepth",
            "oldestOutboxAgeSeconds", "heldFilings", "readers" });

    // The next one comes by itself (receivedAt has whole seconds).
    const auto later = waitForHeartbeat(dir.path() / "central.sqlite",
        [&](const json& j) { return j["receivedAt"] != first["receivedAt"]; });
    CHECK(later["receivedAt"] > first["receivedAt"]);
    CHECK(kiosk.quit() == 0);
    CHECK(readFile(kiosk.stderrPath()).find("network: heartbeat sent") != std::string::npos);
}
