// End to end: a simulated card in a virtual reader, the real kiosk headless, a real central over
// mutual TLS. Runs inside scripts/with-virtual-reader (private pcscd + shensu-cardsim); the card
// starts out of the reader.
#include "central.hpp"
#include "kiosk.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include <sqlite3.h>

using namespace shensu::testing;
using nlohmann::json;

namespace
{

// Rows left in the kiosk's outbox, read straight from SQLite (what a technician would see).
int outboxRows(const std::filesystem::path& outbox)
{
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(outbox.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const int rows = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
}

json tap(const std::string& id)
{
    return { { "cmd", "tap" }, { "id", id } };
}
json card(const std::string& action, const std::string& kind = "health")
{
    return { { "cmd", "card" }, { "action", action }, { "kind", kind }, { "slot", 0 } };
}

bool isEvent(const json& e, const char* name)
{
    return e.value("event", "") == name;
}

// Home → 匿名檢舉 → what an anonymous filing is → the form → review → 確認送出. Central takes a
// health-card filing only with its identity assertion from a health-card login (issue 5), so the
// forwarding tests here file anonymously.
void fileAnonymously(KioskSession& kiosk, bool waitForHome = true)
{
    kiosk.confirmAnonymousFiling(waitForHome);
}

// Lines in the simulator's APDU log: every command any card received.
std::size_t apdusLogged()
{
    const char* log = std::getenv("SHENSU_CARDSIM_LOG");
    REQUIRE(log != nullptr);
    if (!std::filesystem::exists(log)) return 0;
    const std::string text = readFile(log);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

} // namespace

TEST_CASE("An anonymous filing reaches central, the kiosk shows the case number central stored, "
          "and the citizen card in the reader received no APDU at all")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    RunningCentral central(dir.path() / "pki", dir.path() / "central.sqlite");
    KioskSession kiosk(
        writeKioskConfig({ dir.path() / "pki", dir.path(), central.url(), central.resolve() }));
    kiosk.waitForScreen("home");
    kiosk.send(card("insert", "citizen"));
    kiosk.waitFor([](const json& e) { return isEvent(e, "card"); });
    fileAnonymously(kiosk, false);
    const auto submitted = kiosk.waitFor([](const json& e) { return isEvent(e, "submitted"); });

    const auto cases = storedCases(dir.path() / "central.sqlite");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0]["caseNumber"] == submitted["caseNumber"]);
    CHECK(submitted["verificationCode"].get<std::string>().size() == 16);
    CHECK(outboxRows(dir.path() / "outbox.sqlite") == 0);
    CHECK(apdusLogged() == 0);
    kiosk.send(card("remove"));
    CHECK(kiosk.quit() == 0);
}

TEST_CASE(
    "A filing made while central is down waits in the outbox and goes through once central is back")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    // Reserve a port for central by starting and stopping it, so the kiosk's configuration can
    // point at it.
    int port = 0;
    {
        RunningCentral probe(dir.path() / "pki", dir.path() / "central.sqlite");
        port = probe.port();
    }
    const std::string url = "https://central.shensu.test:" + std::to_string(port);
    const std::string resolve = "central.shensu.test:" + std::to_string(port) + ":127.0.0.1";
    KioskSession kiosk(writeKioskConfig({ dir.path() / "pki", dir.path(), url, resolve },
        { { "retryFirstDelayMs", 200 }, { "retryMaxDelayMs", 1000 } }));

    fileAnonymously(kiosk);
    kiosk.waitFor([](const json& e) { return isEvent(e, "queued"); });
    CHECK(outboxRows(dir.path() / "outbox.sqlite") == 1);
    CHECK(storedCases(dir.path() / "central.sqlite").empty());

    RunningCentral central(
        dir.path() / "pki", dir.path() / "central.sqlite", "central-server", port);
    const auto delivered = kiosk.waitFor(
        [](const json& e) { return isEvent(e, "delivered"); }, std::chrono::seconds(30));
    const auto cases = storedCases(dir.path() / "central.sqlite");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0]["caseNumber"] == delivered["caseNumber"]);
    CHECK(outboxRows(dir.path() / "outbox.sqlite") == 0);
    CHECK(kiosk.quit() == 0);
}

TEST_CASE("A server with a certificate from another CA is refused: nothing is sent and the filing "
          "is kept")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    RunningCentral rogue(dir.path() / "pki", dir.path() / "rogue.sqlite", "rogue-server");
    KioskSession kiosk(
        writeKioskConfig({ dir.path() / "pki", dir.path(), rogue.url(), rogue.resolve() }));

    fileAnonymously(kiosk);
    const auto queued = kiosk.waitFor([](const json& e) { return isEvent(e, "queued"); });
    CHECK(storedCases(dir.path() / "rogue.sqlite").empty());
    CHECK(outboxRows(dir.path() / "outbox.sqlite") == 1);
    CHECK(kiosk.quit() == 0);
}

namespace
{
// The message the card error screen shows, in the language of the moment (its catalogue key and its
// text).
json cardErrorShown(KioskSession& kiosk)
{
    return kiosk.waitFor(
        [](const json& e) { return isEvent(e, "error") && e.value("screen", "") == "card_error"; });
}
} // namespace

TEST_CASE("A card pulled out in the middle of reading says so and the kiosk carries on")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    KioskSession kiosk(
        writeKioskConfig({ dir.path() / "pki", dir.path(), "https://central.shensu.test:1", "" }));
    kiosk.waitForScreen("home");
    kiosk.send(tap("home.health_card"));
    kiosk.waitForScreen("insert_card");
    kiosk.send(card("insert", "health-pulled"));
    const auto error = cardErrorShown(kiosk);
    CHECK(error["key"] == "card_error.removed");
    CHECK(error["message"].get<std::string>().find("取出") != std::string::npos);

    // The kiosk is still usable: back home, and a good card afterwards is read.
    kiosk.send(tap("card_error.home"));
    kiosk.waitForScreen("home");
    kiosk.send(card("remove"));
    kiosk.send({ { "cmd", "wait" }, { "card", "absent" } });
    kiosk.send(tap("home.health_card"));
    kiosk.waitForScreen("insert_card");
    kiosk.send(card("insert"));
    // Read (central, unreachable here, is asked about the registration next).
    kiosk.waitFor(
        [](const json& e) { return isEvent(e, "card") && e.value("type", "") == "read"; });
    kiosk.send(card("remove"));
    CHECK(kiosk.quit() == 0);
}

TEST_CASE("A garbled card answer says the card could not be understood, with no crash")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    KioskSession kiosk(
        writeKioskConfig({ dir.path() / "pki", dir.path(), "https://central.shensu.test:1", "" }));
    kiosk.waitForScreen("home");
    kiosk.send(tap("home.health_card"));
    kiosk.waitForScreen("insert_card");
    kiosk.send(card("insert", "health-garbled"));
    CHECK(cardErrorShown(kiosk)["key"] == "card_error.unreadable");
    kiosk.send({ { "cmd", "language" }, { "value", "en" } });
    const auto english = cardErrorShown(kiosk);
    CHECK(
        english["message"].get<std::string>().find("could not be understood") != std::string::npos);
    kiosk.send(card("remove"));
    CHECK(kiosk.quit() == 0);
}

namespace
{
// Unused leased numbers in the kiosk's outbox database (what a technician would see).
int leasedNumbersLeft(const std::filesystem::path& outbox)
{
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(outbox.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    sqlite3_stmt* stmt = nullptr;
    int left = 0;
    if (sqlite3_prepare_v2(
            db, "SELECT count(*) FROM leased_numbers WHERE used = 0", -1, &stmt, nullptr)
            == SQLITE_OK
        && sqlite3_step(stmt) == SQLITE_ROW)
        left = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return left;
}
} // namespace

TEST_CASE("Offline with a case-number lease the queued screen shows the final case number and "
          "code and central later registers the filing under that number")
{
    TempDir dir;
    makeTestPki(dir.path() / "pki");
    const int port = unusedPort();
    const std::string url = "https://central.shensu.test:" + std::to_string(port);
    const std::string resolve = "central.shensu.test:" + std::to_string(port) + ":127.0.0.1";
    KioskSession kiosk(writeKioskConfig({ dir.path() / "pki", dir.path(), url, resolve },
        { { "retryFirstDelayMs", 200 }, { "retryMaxDelayMs", 1000 }, { "caseLeases", true } }));
    {
        // Central is up long enough for the kiosk to lease a block of numbers, then goes down.
        RunningCentral central(
            dir.path() / "pki", dir.path() / "central.sqlite", "central-server", port);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (leasedNumbersLeft(dir.path() / "outbox.sqlite") == 0
            && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        REQUIRE(leasedNumbersLeft(dir.path() / "outbox.sqlite") > 0);
    }

    fileAnonymously(kiosk); // central is down: no health-card login
    const auto queued = kiosk.waitFor([](const json& e) { return isEvent(e, "queued"); });
    REQUIRE(queued.contains("caseNumber"));
    const std::string caseNumber = queued["caseNumber"];
    const std::string code = queued["verificationCode"];
    CHECK(caseNumber.size() == 12);
    CHECK(code.size() == 16);
    CHECK(outboxRows(dir.path() / "outbox.sqlite") == 1);
    CHECK(storedCases(dir.path() / "central.sqlite").empty());

    RunningCentral central(
        dir.path() / "pki", dir.path() / "central.sqlite", "central-server", port);
    const auto delivered = kiosk.waitFor(
        [](const json& e) { return isEvent(e, "delivered"); }, std::chrono::seconds(30));
    CHECK(delivered["caseNumber"] == caseNumber);
    CHECK(delivered["verificationCode"] == code);
    const auto cases = storedCases(dir.path() / "central.sqlite");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0]["caseNumber"] == caseNumber);
    CHECK(outboxRows(dir.path() / "outbox.sqlite") == 0);

    // The code the kiosk made opens the case's status at central.
    const auto pki = dir.path() / "pki";
    writeFile(dir.path() / "status.json",
        json { { "caseNumber", caseNumber }, { "verificationCode", code } }.dump());
    const auto status = run({ "curl", "-sS", "--tlsv1.3", "--resolve", central.resolve(),
        "--cacert", (pki / "central-ca.pem").string(), "--capath", "/nonexistent", "--cert",
        (pki / "kiosk-device.pem").string(), "--key", (pki / "kiosk-device.key").string(), "-H",
        "Content-Type: application/json", "--data-binary",
        "@" + (dir.path() / "status.json").string(), central.url() + "/v1/cases/status" });
    REQUIRE(status.exitCode == 0);
    const auto answer = json::parse(status.output, nullptr, false);
    CHECK(answer.value("caseNumber", "") == caseNumber);
    CHECK(answer.value("status", "") == "received");
    kiosk.send(card("remove"));
    CHECK(kiosk.quit() == 0);
}
