// The citizen-certificate login end to end on the kiosk's side: the real kiosk headless, stock
// OpenSC's PKCS#11 module, a real pcscd and the simulated PIV citizen card (its APDU log tells what
// the card really received). Central is configured but not running: the outbox exists, and the
// login proof stops at the kiosk's seam until the auth client is merged.
#include "central.hpp"
#include "kiosk.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

using namespace shensu::testing;
using nlohmann::json;

namespace
{

constexpr const char* RIGHT_PIN = "123456";
constexpr const char* WRONG_PIN = "654321";

json tap(const std::string& id)
{
    return { { "cmd", "tap" }, { "id", id } };
}
json pin(const std::string& digits)
{
    return { { "cmd", "pin" }, { "digits", digits } };
}
json card(const std::string& action, const std::string& kind)
{
    return { { "cmd", "card" }, { "action", action }, { "kind", kind }, { "slot", 0 } };
}

// The simulator's PIN-carrying VERIFYs that spent a try.
int spendingVerifies()
{
    const char* log = std::getenv("SHENSU_CARDSIM_LOG");
    REQUIRE(log != nullptr);
    std::ifstream in(log);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        const auto entry = json::parse(line, nullptr, false);
        if (entry.is_discarded() || entry.value("ins", "") != "VERIFY") continue;
        if (entry.value("spending", false)) ++n;
    }
    return n;
}

struct CitizenKiosk {
    TempDir dir;
    std::unique_ptr<KioskSession> kiosk;

    explicit CitizenKiosk(const std::string& kind)
    {
        makeTestPki(dir.path() / "pki");
        const int port = unusedPort(); // nobody listens: central is down
        kiosk = std::make_unique<KioskSession>(writeKioskConfig(
            { dir.path() / "pki", dir.path(), "https://central.shensu.test:" + std::to_string(port),
                "central.shensu.test:" + std::to_string(port) + ":127.0.0.1" },
            { { "pinPadShuffle", true }, { "stateDir", (dir.path() / "state").string() } }));
        kiosk->waitForScreen("home");
        kiosk->send(card("insert", kind));
        kiosk->waitFor([](const json& e) {
            return e.value("event", "") == "card" && e.value("type", "") == "inserted";
        });
        kiosk->send(tap("home.citizen_cert"));
    }

    json waitForPad()
    {
        return kiosk->waitFor([](const json& e) { return e.value("event", "") == "pin"; });
    }

    void enter(const std::string& digits)
    {
        kiosk->send(pin(digits));
        kiosk->send(tap("pin.confirm"));
        kiosk->waitForScreen("card_login");
    }

    // Nothing the kiosk wrote holds these digits: its events, its log, its state and outbox files.
    void checkNothingHolds(const std::vector<std::string>& secrets)
    {
        REQUIRE(kiosk->quit() == 0);
        std::string everything;
        for (auto e : kiosk->events()) {
            e.erase("ms"); // a timing's decimals are not the kiosk writing a PIN
            everything += e.dump() + "\n";
        }
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
            if (!entry.is_regular_file()) continue;
            if (entry.path().parent_path() == dir.path() / "pki") continue; // test PKI only
            everything += readFile(entry.path());
        }
        REQUIRE(everything.find("\"event\":\"screen\"") != std::string::npos); // read it all
        for (const auto& secret : secrets) {
            INFO("secret " << secret);
            CHECK(everything.find(secret) == std::string::npos);
            std::string hex;
            for (const char c : secret)
                hex += "3" + std::string(1, c);
            CHECK(everything.find(hex) == std::string::npos); // nor as hex bytes
        }
    }
};

} // namespace

TEST_CASE("two wrong PINs, then the last-attempt warning before the third, and the third wrong PIN "
          "shows the blocked screen and the card saw exactly three tries")
{
    CitizenKiosk k("citizen");
    auto pad = k.waitForPad();
    CHECK(pad["triesLeft"] == 3);
    k.enter(WRONG_PIN);
    pad = k.waitForPad();
    CHECK(pad["triesLeft"] == 2);
    CHECK(pad["key"] == "pin.wrong");
    CHECK(spendingVerifies() == 1);

    k.enter(WRONG_PIN);
    k.kiosk->waitForScreen("pin_last_attempt");
    CHECK(spendingVerifies() == 2); // the warning comes before the third try
    k.kiosk->send(tap("pin_last_attempt.continue"));
    pad = k.waitForPad();
    CHECK(pad["triesLeft"] == 1);
    k.enter(WRONG_PIN);
    const auto blocked = k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "error" && e.value("screen", "") == "card_blocked";
    });
    CHECK_THAT(blocked["message"].get<std::string>(), Catch::Contains("MOICA"));
    CHECK_THAT(blocked["message"].get<std::string>(), Catch::Contains("GCA"));
    CHECK(spendingVerifies() == 3);

    // The kiosk's own count, durable, by hash: three failures for one card.
    const std::string counts = readFile(k.dir.path() / "state" / "pin-failures");
    CHECK(counts.size() == 64 + 3);
    CHECK(counts.substr(64) == " 3\n");
    k.checkNothingHolds({ WRONG_PIN });
    CHECK(spendingVerifies() == 3);
}

TEST_CASE("a blocked citizen card shows the blocked screen and never receives a spending VERIFY")
{
    CitizenKiosk k("citizen-blocked");
    k.kiosk->waitForScreen("card_blocked");
    CHECK(spendingVerifies() == 0);
    k.kiosk->send(tap("card_blocked.home"));
    k.kiosk->waitForScreen("home");
    CHECK(spendingVerifies() == 0);
    CHECK(k.kiosk->quit() == 0);
}

TEST_CASE("a card with one try left gets the last-attempt warning before its first attempt")
{
    CitizenKiosk k("citizen-1try");
    const auto warning = k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "warning" && e.value("screen", "") == "pin_last_attempt";
    });
    CHECK(warning["triesLeft"] == 1);
    CHECK(spendingVerifies() == 0);
    // Leaving here spends nothing either.
    k.kiosk->send(tap("pin_last_attempt.cancel"));
    k.kiosk->waitForScreen("home");
    CHECK(spendingVerifies() == 0);
    CHECK(k.kiosk->quit() == 0);
}

TEST_CASE("the right PIN logs in and the card signs, with no login service the kiosk says so, "
          "the PIN is in nothing the kiosk wrote")
{
    CitizenKiosk k("citizen");
    k.waitForPad();
    k.enter(WRONG_PIN);
    k.waitForPad();
    k.enter(RIGHT_PIN);
    k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "card" && e.value("type", "") == "signed";
    });
    const auto refused = k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "error" && e.value("screen", "") == "login_refused";
    });
    CHECK(refused["key"] == "login_refused.unavailable"); // SEAM(auth)
    CHECK(spendingVerifies() == 2);
    // Success resets the kiosk's count for this card.
    CHECK(readFile(k.dir.path() / "state" / "pin-failures").empty());
    k.checkNothingHolds({ RIGHT_PIN, WRONG_PIN });
}

TEST_CASE("the citizen card pulled on the PIN pad ends the session and the typed digits go nowhere")
{
    CitizenKiosk k("citizen");
    k.waitForPad();
    k.kiosk->send(pin("907162"));
    k.kiosk->send(card("remove", "citizen"));
    k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "notice" && e.value("key", "") == "home.card_removed";
    });
    k.kiosk->waitForScreen("home");
    CHECK(spendingVerifies() == 0);
    k.checkNothingHolds({ "907162" });
}
