// The health-card login end to end: the real kiosk headless, a real pcscd with the simulated health
// card (it gives the card number), and a real central whose registration-password registry was made
// by `shensu-central nhi-register`; central keeps the failure counter and locks after 3.
#include "central.hpp"
#include "kiosk.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

#include <sqlite3.h>

using namespace shensu::testing;
using nlohmann::json;

namespace
{

// Made up for the test, registered at test time. Symbols outside base64's alphabet, so that no
// encoded blob can hold them by chance; an upper-case letter and symbols exercise shift and the
// symbols layer of the on-screen keyboard.
constexpr const char* RIGHT_PASSWORD = "Nhi#Pw7x!q";
constexpr const char* WRONG_PASSWORD = "Wr0ng!pw";
constexpr const char* CARD_NUMBER = "000012345678"; // the simulator's health card

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

// Central's failure counts as its database holds them (one card registered here: the sum is its
// count). Read directly, not through any kiosk, so that the test sees what central really counted.
int centralFailures(const std::filesystem::path& db)
{
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &handle, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(handle, 5000);
    sqlite3_stmt* statement = nullptr;
    int failures = -1;
    if (sqlite3_prepare_v2(
            handle, "SELECT COALESCE(SUM(failures), 0) FROM nhi_failures", -1, &statement, nullptr)
            == SQLITE_OK
        && sqlite3_step(statement) == SQLITE_ROW)
        failures = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(handle);
    REQUIRE(failures >= 0);
    return failures;
}

// Whether the kiosk showed this screen among the events read since index `from`.
bool showedSince(const KioskSession& kiosk, std::size_t from, const std::string& screen)
{
    const auto& events = kiosk.events();
    for (std::size_t i = from; i < events.size(); ++i) {
        if (events[i].value("event", "") == "screen" && events[i].value("screen", "") == screen)
            return true;
    }
    return false;
}

std::filesystem::path citizenPki()
{
    const char* dir = std::getenv("SHENSU_CITIZEN_PKI");
    REQUIRE(dir != nullptr);
    return dir;
}

struct NhiKiosk {
    TempDir dir;
    std::unique_ptr<RunningCentral> central;
    std::unique_ptr<KioskSession> kiosk;

    NhiKiosk()
    {
        const auto registry = dir.path() / "central" / "nhi.json";
        std::filesystem::create_directories(registry.parent_path());
        std::filesystem::create_directories(dir.path() / "kiosk");
        registerNhiCard(registry, CARD_NUMBER, RIGHT_PASSWORD, "王健保", "測試區公所");
        central = std::make_unique<RunningCentral>(citizenPki(),
            dir.path() / "central" / "central.sqlite", "central-server", 0, "central-receipt",
            centralAuthArgs(citizenPki(), registry));
        kiosk = std::make_unique<KioskSession>(writeKioskConfig(
            { citizenPki(), dir.path() / "kiosk", central->url(), central->resolve() },
            { { "stateDir", (dir.path() / "kiosk" / "state").string() } }));
        kiosk->waitForScreen("home");
        kiosk->send(tap("home.health_card"));
        kiosk->waitForScreen("insert_card");
        kiosk->send(card("insert"));
    }

    std::filesystem::path centralDb() const { return dir.path() / "central" / "central.sqlite"; }
    json waitForStatus()
    {
        return kiosk->waitFor([](const json& e) { return isEvent(e, "nhi_status"); });
    }
    json waitForPasswordScreen()
    {
        return kiosk->waitFor([](const json& e) { return isEvent(e, "nhi_password"); });
    }
    // Types the password (on the on-screen keyboard, or as a physical keyboard would) and logs in:
    // central's answer.
    json enter(const std::string& password, const std::string& via = "screen")
    {
        kiosk->send({ { "cmd", "password" }, { "text", password }, { "via", via } });
        kiosk->send(tap("nhi_password.confirm"));
        kiosk->waitForScreen("card_login");
        return kiosk->waitFor([](const json& e) {
            return isEvent(e, "login") && e.value("method", "") == "health_card";
        });
    }

    // Nothing the kiosk wrote holds the passwords: its events, its stderr, its state directory and
    // outbox (central's files are under dir too: they may not hold it either).
    void checkNothingHolds(const std::vector<std::string>& secrets)
    {
        REQUIRE(kiosk->quit() == 0);
        std::string everything;
        for (auto e : kiosk->events())
            everything += e.dump() + "\n";
        everything += readFile(kiosk->stderrPath());
        std::size_t files = 0;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
            if (!entry.is_regular_file()) continue;
            everything += readFile(entry.path());
            ++files;
        }
        CHECK(files >= 3); // the config, the outbox, central's database at least
        REQUIRE(everything.find("\"event\":\"screen\"") != std::string::npos); // read it all
        for (const auto& secret : secrets) {
            INFO("secret " << secret);
            CHECK(everything.find(secret) == std::string::npos);
        }
    }
};

} // namespace

TEST_CASE("health card: wrong registration passwords show central's tries left, the warning comes "
          "before the last, the locked screen after it, and the password is in nothing written")
{
    NhiKiosk k;
    const auto status = k.waitForStatus(); // asked before any password screen
    CHECK(status["result"] == "ok");
    CHECK(status["triesLeft"] == 3);
    CHECK(k.waitForPasswordScreen()["triesLeft"] == 3);

    auto answer = k.enter(WRONG_PASSWORD);
    CHECK(answer["result"] == "wrong_password");
    CHECK(answer["triesLeft"] == 2);
    auto shown = k.waitForPasswordScreen();
    CHECK(shown["triesLeft"] == 2);
    CHECK(shown["key"] == "nhi_password.wrong");

    answer = k.enter(WRONG_PASSWORD, "keys"); // a physical keyboard this time
    CHECK(answer["triesLeft"] == 1);
    k.kiosk->waitForScreen("nhi_last_attempt");
    const auto warning = k.kiosk->waitFor([](const json& e) { return isEvent(e, "warning"); });
    CHECK(warning["screen"] == "nhi_last_attempt");
    CHECK(warning["triesLeft"] == 1);
    k.kiosk->send(tap("nhi_last_attempt.continue"));
    CHECK(k.waitForPasswordScreen()["triesLeft"] == 1);

    answer = k.enter(WRONG_PASSWORD);
    CHECK(answer["result"] == "locked");
    k.kiosk->waitForScreen("nhi_locked");
    const auto error = k.kiosk->waitFor([](const json& e) { return isEvent(e, "error"); });
    CHECK(error["screen"] == "nhi_locked");
    CHECK(error["message"].get<std::string>().find("健保署") != std::string::npos);

    CHECK(centralFailures(k.centralDb()) == 3);

    // Locked at central: a new session shows the locked screen at once, with no password screen
    // (nothing to type, nothing sent).
    k.kiosk->send(tap("nhi_locked.home"));
    k.kiosk->waitForScreen("home");
    const std::size_t from = k.kiosk->events().size();
    k.kiosk->send(tap("home.health_card"));
    CHECK(k.waitForStatus()["result"] == "locked");
    k.kiosk->waitForScreen("nhi_locked");
    CHECK_FALSE(showedSince(*k.kiosk, from, "nhi_password"));
    CHECK(centralFailures(k.centralDb()) == 3);
    k.kiosk->send(card("remove"));
    k.kiosk->waitForScreen("home");
    CHECK(storedCases(k.dir.path() / "central" / "central.sqlite").empty());
    k.checkNothingHolds({ RIGHT_PASSWORD, WRONG_PASSWORD });
}

TEST_CASE("health card: two failures left at central by an earlier session make the next "
          "session's first try come after the last-attempt warning, with nothing sent before it")
{
    NhiKiosk k;
    k.waitForPasswordScreen();
    CHECK(k.enter(WRONG_PASSWORD)["triesLeft"] == 2);
    k.waitForPasswordScreen();
    CHECK(k.enter(WRONG_PASSWORD)["triesLeft"] == 1);
    k.kiosk->waitForScreen("nhi_last_attempt");
    // The person walks away: the session ends with the card, central keeps its count.
    k.kiosk->send(card("remove"));
    k.kiosk->waitForScreen("home");
    REQUIRE(centralFailures(k.centralDb()) == 2);

    // A new session, the card again: its very first try can lock it, so the warning comes first.
    const std::size_t from = k.kiosk->events().size();
    k.kiosk->send(tap("home.health_card"));
    k.kiosk->waitForScreen("insert_card");
    k.kiosk->send(card("insert"));
    const auto status = k.waitForStatus();
    CHECK(status["result"] == "ok");
    CHECK(status["triesLeft"] == 1);
    const auto warning = k.kiosk->waitFor([](const json& e) { return isEvent(e, "warning"); });
    CHECK(warning["screen"] == "nhi_last_attempt");
    CHECK(warning["triesLeft"] == 1);
    CHECK_FALSE(showedSince(*k.kiosk, from, "nhi_password"));
    CHECK(centralFailures(k.centralDb()) == 2); // nothing counted until the person confirms
    k.kiosk->send(tap("nhi_last_attempt.continue"));
    CHECK(k.waitForPasswordScreen()["triesLeft"] == 1);
    CHECK(centralFailures(k.centralDb()) == 2);
    CHECK(k.enter(RIGHT_PASSWORD)["result"] == "ok");
    k.kiosk->waitForScreen("card_read");
    CHECK(centralFailures(k.centralDb()) == 0); // the right password resets the count
    k.kiosk->send(card("remove"));
    k.kiosk->waitForScreen("home");
    k.checkNothingHolds({ RIGHT_PASSWORD, WRONG_PASSWORD });
}

TEST_CASE(
    "health card: the right registration password after a wrong one logs in, the form comes "
    "prefilled from central, the filing reaches central, and the password is in nothing written")
{
    NhiKiosk k;
    k.waitForPasswordScreen();
    CHECK(k.enter(WRONG_PASSWORD)["result"] == "wrong_password");
    k.waitForPasswordScreen();
    CHECK(k.enter(RIGHT_PASSWORD)["result"] == "ok");
    k.kiosk->waitForScreen("card_read");
    k.kiosk->send(tap("card_read.continue"));
    k.kiosk->waitForScreen("form");
    // Name and agency come prefilled from central (王健保, 測試區公所): only the rest is typed.
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.title" }, { "text", "科員" } });
    k.kiosk->send(tap("form.identity.0"));
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.phone" }, { "text", "02-23979298" } });
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.facts" }, { "text", "測試用的申訴內容。" } });
    k.kiosk->send(tap("form.submit"));
    k.kiosk->waitForScreen("review");
    k.kiosk->send(tap("review.confirm"));
    const auto submitted = k.kiosk->waitFor([](const json& e) { return isEvent(e, "submitted"); });
    const auto cases = storedCases(k.dir.path() / "central" / "central.sqlite");
    REQUIRE(cases.size() == 1);
    CHECK(cases[0]["caseNumber"] == submitted["caseNumber"]);
    k.kiosk->send(card("remove"));
    k.checkNothingHolds({ RIGHT_PASSWORD, WRONG_PASSWORD });
}

TEST_CASE("health card: a card central has no registration for, and central unreachable, each "
          "have their own message")
{
    SECTION("not registered")
    {
        TempDir dir;
        const auto registry = dir.path() / "nhi.json";
        registerNhiCard(registry, "000099999999", RIGHT_PASSWORD, "李其他", "測試區公所");
        RunningCentral central(citizenPki(), dir.path() / "central.sqlite", "central-server", 0,
            "central-receipt", centralAuthArgs(citizenPki(), registry));
        KioskSession kiosk(
            writeKioskConfig({ citizenPki(), dir.path(), central.url(), central.resolve() }));
        kiosk.waitForScreen("home");
        kiosk.send(tap("home.health_card"));
        kiosk.send(card("insert"));
        // Said at once by the status check: no password is asked for.
        const auto error = kiosk.waitFor([](const json& e) { return isEvent(e, "error"); });
        CHECK(error["key"] == "login_refused.nhi_not_registered");
        CHECK_FALSE(showedSince(kiosk, 0, "nhi_password"));
        kiosk.send(card("remove"));
        CHECK(kiosk.quit() == 0);
    }
    SECTION("central unreachable")
    {
        TempDir dir;
        const int port = unusedPort();
        KioskSession kiosk(writeKioskConfig(
            { citizenPki(), dir.path(), "https://central.shensu.test:" + std::to_string(port),
                "central.shensu.test:" + std::to_string(port) + ":127.0.0.1" }));
        kiosk.waitForScreen("home");
        kiosk.send({ { "cmd", "wait" }, { "card", "absent" } }); // the last section's card is out
        kiosk.send(tap("home.health_card"));
        kiosk.waitForScreen("insert_card");
        kiosk.send(card("insert"));
        const auto error = kiosk.waitFor([](const json& e) { return isEvent(e, "error"); });
        CHECK(error["key"] == "login_refused.nhi_unavailable");
        CHECK_FALSE(showedSince(kiosk, 0, "nhi_password"));
        CHECK(error["message"].get<std::string>().find("不登入直接申訴") != std::string::npos);
        kiosk.send(card("remove"));
        CHECK(kiosk.quit() == 0);
    }
}
