// The health-card login end to end: the real kiosk headless, a real pcscd with the simulated health
// card (it gives the card number), and a real central whose registration-password registry was made
// by `shensu-central nhi-register`; central keeps the failure counter and locks after 3.
#include "central.hpp"
#include "kiosk.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

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
    CHECK(k.waitForPasswordScreen()["triesLeft"] == 0); // central has said nothing yet

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

    // Locked at central: a new session with the right password is refused too, and says so.
    k.kiosk->send(tap("nhi_locked.home"));
    k.kiosk->waitForScreen("home");
    k.kiosk->send(tap("home.health_card"));
    k.waitForPasswordScreen();
    CHECK(k.enter(RIGHT_PASSWORD)["result"] == "locked");
    k.kiosk->waitForScreen("nhi_locked");
    k.kiosk->send(card("remove"));
    k.kiosk->waitForScreen("home");
    CHECK(storedCases(k.dir.path() / "central" / "central.sqlite").empty());
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
        kiosk.waitForScreen("nhi_password");
        kiosk.send({ { "cmd", "password" }, { "text", RIGHT_PASSWORD } });
        kiosk.send(tap("nhi_password.confirm"));
        const auto error = kiosk.waitFor([](const json& e) { return isEvent(e, "error"); });
        CHECK(error["key"] == "login_refused.nhi_not_registered");
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
        kiosk.send(tap("home.health_card"));
        kiosk.send(card("insert"));
        kiosk.waitForScreen("nhi_password");
        kiosk.send({ { "cmd", "password" }, { "text", RIGHT_PASSWORD } });
        kiosk.send(tap("nhi_password.confirm"));
        const auto error = kiosk.waitFor([](const json& e) { return isEvent(e, "error"); });
        CHECK(error["key"] == "login_refused.nhi_unavailable");
        CHECK(error["message"].get<std::string>().find("不登入直接申訴") != std::string::npos);
        kiosk.send(card("remove"));
        CHECK(kiosk.quit() == 0);
    }
}
