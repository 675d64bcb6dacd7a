// The citizen-certificate login end to end: the real kiosk headless, stock OpenSC's PKCS#11 module,
// a real pcscd, the simulated PIV citizen card (its APDU log tells what the card really received)
// and a real central with its login service (test MOICA CA + CRL, synthetic personnel directory).
#include "central.hpp"
#include "kiosk.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include <sqlite3.h>

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

// The simulator's VERIFYs with `field` true: "spending" (a PIN was compared, a try spent) or
// "withPin" (a PIN reached the card at all, even a blocked one that compared nothing).
int verifiesWhere(const char* field)
{
    const char* log = std::getenv("SHENSU_CARDSIM_LOG");
    REQUIRE(log != nullptr);
    std::ifstream in(log);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        const auto entry = json::parse(line, nullptr, false);
        if (entry.is_discarded() || entry.value("ins", "") != "VERIFY") continue;
        REQUIRE(entry.contains(field));
        if (entry.value(field, false)) ++n;
    }
    return n;
}
int spendingVerifies()
{
    return verifiesWhere("spending");
}
int pinVerifies()
{
    return verifiesWhere("withPin");
}

// The PKI the simulator's citizen cards were made from (the e2e fixture), shared with central.
std::filesystem::path citizenPki()
{
    const char* dir = std::getenv("SHENSU_CITIZEN_PKI");
    REQUIRE(dir != nullptr);
    return dir;
}

struct CitizenKiosk {
    TempDir dir;
    std::unique_ptr<RunningCentral> central;
    std::unique_ptr<KioskSession> kiosk;

    explicit CitizenKiosk(const std::string& kind)
    {
        central = std::make_unique<RunningCentral>(citizenPki(), dir.path() / "central.sqlite",
            "central-server", 0, "central-receipt", centralAuthArgs(citizenPki()));
        kiosk = std::make_unique<KioskSession>(
            writeKioskConfig({ citizenPki(), dir.path(), central->url(), central->resolve() },
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
        const int status = kiosk->quit();
        INFO("kiosk stderr:\n" << readFile(kiosk->stderrPath()));
        INFO("last event: " << (kiosk->events().empty() ? "" : kiosk->events().back().dump()));
        REQUIRE(status == 0);
        std::string everything;
        for (auto e : kiosk->events()) {
            e.erase("ms"); // a timing's decimals are not the kiosk writing a PIN
            // Nor is the pad's key order: a shuffled layout of ten digits holds a given six-digit
            // run now and then (and always 123456 unshuffled). It is checked to be a layout.
            if (e.contains("layout")) {
                std::string layout = e["layout"].get<std::string>();
                std::sort(layout.begin(), layout.end());
                CHECK(layout == "0123456789");
                e.erase("layout");
            }
            everything += e.dump() + "\n";
        }
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
            if (!entry.is_regular_file()) continue;
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

    // The kiosk's own count, durable, by keyed hash: three failures for one card (and when).
    const std::string counts = readFile(k.dir.path() / "state" / "pin-failures");
    CHECK(counts.find('\n') == counts.size() - 1); // one line
    CHECK(counts.substr(64, 3) == " 3 ");
    k.checkNothingHolds({ WRONG_PIN });
    CHECK(spendingVerifies() == 3);
    CHECK(pinVerifies() == 3); // nothing after the blocking try
}

TEST_CASE("a blocked citizen card shows the blocked screen and never receives a PIN")
{
    CitizenKiosk k("citizen-blocked");
    k.kiosk->waitForScreen("card_blocked");
    CHECK(pinVerifies() == 0);
    k.kiosk->send(tap("card_blocked.home"));
    k.kiosk->waitForScreen("home");
    CHECK(pinVerifies() == 0);
    CHECK(k.kiosk->quit() == 0);
}

TEST_CASE("a card with one try left gets the last-attempt warning before its first attempt")
{
    CitizenKiosk k("citizen-1try");
    const auto warning = k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "warning" && e.value("screen", "") == "pin_last_attempt";
    });
    CHECK(warning["triesLeft"] == 1);
    CHECK(pinVerifies() == 0);
    // Leaving here spends nothing either.
    k.kiosk->send(tap("pin_last_attempt.cancel"));
    k.kiosk->waitForScreen("home");
    CHECK(pinVerifies() == 0);
    CHECK(k.kiosk->quit() == 0);
}

TEST_CASE("the right PIN after a wrong one logs in: central checks the card's signature over its "
          "challenge, the holder files, and the PIN is in nothing the kiosk wrote")
{
    CitizenKiosk k("citizen");
    k.waitForPad();
    k.enter(WRONG_PIN);
    k.waitForPad();
    k.enter(RIGHT_PIN);
    k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "card" && e.value("type", "") == "signed";
    });
    const auto login
        = k.kiosk->waitFor([](const json& e) { return e.value("event", "") == "login"; });
    CHECK(login["result"] == "ok");
    k.kiosk->waitForScreen("card_read");
    CHECK(spendingVerifies() == 2);
    // Success resets the kiosk's count for this card.
    CHECK(readFile(k.dir.path() / "state" / "pin-failures").empty());

    // Name and agency come pre-filled from central: only the rest is typed.
    k.kiosk->send(tap("card_read.continue"));
    k.kiosk->waitForScreen("form");
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.title" }, { "text", "科員" } });
    k.kiosk->send(tap("form.identity.0"));
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.phone" }, { "text", "02-23979298" } });
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.facts" }, { "text", "測試用的申訴內容。" } });
    k.kiosk->send(tap("form.submit"));
    k.kiosk->waitForScreen("review");
    k.kiosk->send(tap("review.confirm"));
    // The PIN again, to sign the filing (it was not kept after the login).
    const auto signPad = k.waitForPad();
    CHECK(signPad["purpose"] == "sign");
    k.kiosk->send(pin(RIGHT_PIN));
    k.kiosk->send(tap("pin.confirm"));
    k.kiosk->waitFor([](const json& e) { return e.value("event", "") == "submitted"; });
    CHECK(spendingVerifies() == 3);
    CHECK(storedCases(k.dir.path() / "central.sqlite").size() == 1);
    k.kiosk->send(card("remove", "citizen"));
    k.checkNothingHolds({ RIGHT_PIN, WRONG_PIN });
}

namespace
{
// Logged in with the right PIN, the form filled, on the review screen.
void loginAndFill(CitizenKiosk& k)
{
    k.waitForPad();
    k.enter(RIGHT_PIN);
    k.kiosk->waitForScreen("card_read");
    k.kiosk->send(tap("card_read.continue"));
    k.kiosk->waitForScreen("form");
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.title" }, { "text", "科員" } });
    k.kiosk->send(tap("form.identity.0"));
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.phone" }, { "text", "02-23979298" } });
    k.kiosk->send({ { "cmd", "type" }, { "id", "form.facts" }, { "text", "測試用的申訴內容。" } });
    k.kiosk->send(tap("form.submit"));
    k.kiosk->waitForScreen("review");
}

// The envelopes in the kiosk's outbox, read straight from SQLite.
std::vector<std::string> outboxEnvelopes(const std::filesystem::path& outbox)
{
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(outbox.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(
                db, "SELECT envelope FROM outbox ORDER BY created_at", -1, &stmt, nullptr)
        == SQLITE_OK);
    std::vector<std::string> envelopes;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
        envelopes.emplace_back(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt, 0)));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return envelopes;
}
} // namespace

TEST_CASE("the citizen card signs the filing with the PIN entered again, and openssl cms finds "
          "the card and the kiosk as signers of what the kiosk stored")
{
    CitizenKiosk k("citizen");
    loginAndFill(k);
    k.central->stop(); // the filing stays in the outbox
    k.kiosk->send(tap("review.confirm"));
    const auto pad = k.waitForPad();
    CHECK(pad["purpose"] == "sign");
    CHECK(spendingVerifies() == 1);
    k.kiosk->send(pin(RIGHT_PIN));
    k.kiosk->send(tap("pin.confirm"));
    k.kiosk->waitForScreen("queued");
    CHECK(spendingVerifies() == 2); // one card call for the signature

    const auto envelopes = outboxEnvelopes(k.dir.path() / "outbox.sqlite");
    // Opened outside the kiosk's folder (checkNothingHolds reads all of that): the card's
    // certificate holds the digits 123456 in its serialNumber.
    TempDir out;
    REQUIRE(envelopes.size() == 1);
    const auto& pki = citizenPki();
    writeFile(out / "sealed.der", envelopes[0]);
    const auto decrypted = run({ "openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in",
        (out / "sealed.der").string(), "-recip", (pki / "central-encryption.pem").string(),
        "-inkey", (pki / "central-encryption.key").string(), "-out",
        (out / "signed.der").string() });
    REQUIRE(decrypted.exitCode == 0);
    // Both anchors; -purpose any: the test MOICA certificate's EKU is clientAuth only.
    writeFile(out / "cas.pem", readFile(pki / "kiosk-ca.pem") + readFile(pki / "moica-ca.pem"));
    const auto verified = run({ "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
        (out / "signed.der").string(), "-CAfile", (out / "cas.pem").string(), "-purpose", "any",
        "-signer", (out / "signers.pem").string(), "-out", (out / "filing.json").string() });
    INFO(verified.output << verified.errors);
    REQUIRE(verified.exitCode == 0);
    const auto filing = json::parse(readFile(out / "filing.json"));
    CHECK(filing["filer"]["method"] == "citizen_certificate");
    CHECK(filing["filer"]["name"] == "林測試");
    const auto subjects = run({ "sh", "-c",
        "openssl crl2pkcs7 -nocrl -certfile '" + (out / "signers.pem").string()
            + "' | openssl pkcs7 -print_certs -noout" });
    CHECK(subjects.output.find("CN = KIOSK-TEST-01") != std::string::npos);
    CHECK(subjects.output.find("serialNumber = 0000000112345678") != std::string::npos);
    // The kiosk CA alone does not vouch for the card's signature.
    const auto kioskOnly = run({ "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
        (out / "signed.der").string(), "-CAfile", (pki / "kiosk-ca.pem").string(), "-purpose",
        "any", "-out", "/dev/null" });
    CHECK(kioskOnly.exitCode != 0);
    k.kiosk->send(card("remove", "citizen"));
    k.checkNothingHolds({ RIGHT_PIN });
}

TEST_CASE("a wrong PIN at signing goes back to the pad with the tries left and stores nothing, and "
          "the card pulled at the sign pad ends the session with nothing stored")
{
    CitizenKiosk k("citizen");
    loginAndFill(k);
    k.kiosk->send(tap("review.confirm"));
    k.waitForPad();
    k.kiosk->send(pin(WRONG_PIN));
    k.kiosk->send(tap("pin.confirm"));
    const auto again = k.waitForPad();
    CHECK(again["purpose"] == "sign");
    CHECK(again["key"] == "pin.wrong");
    CHECK(again["triesLeft"] == 2);
    CHECK(spendingVerifies() == 2);
    CHECK(outboxEnvelopes(k.dir.path() / "outbox.sqlite").empty());
    k.kiosk->send(card("remove", "citizen"));
    k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "notice"
            && e.value("key", "") == "home.citizen_card_removed";
    });
    CHECK(outboxEnvelopes(k.dir.path() / "outbox.sqlite").empty());
    CHECK(storedCases(k.dir.path() / "central.sqlite").empty());
    k.checkNothingHolds({ RIGHT_PIN, WRONG_PIN });
}

TEST_CASE(
    "a departed holder's card signs with the right PIN and central's refusal is its own screen")
{
    CitizenKiosk k("citizen-departed");
    k.waitForPad();
    k.enter(RIGHT_PIN);
    const auto refused = k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "error" && e.value("screen", "") == "login_refused";
    });
    CHECK(refused["key"] == "login_refused.departed");
    CHECK_THAT(refused["message"].get<std::string>(), Catch::Contains("卸職"));
    CHECK(spendingVerifies() == 1);
    CHECK(k.kiosk->quit() == 0);
}

TEST_CASE("with central down the PIN never reaches the card and no try is spent")
{
    CitizenKiosk k("citizen");
    k.waitForPad();
    k.central->stop();
    k.enter(RIGHT_PIN);
    const auto refused = k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "error" && e.value("screen", "") == "login_refused";
    });
    CHECK(refused["key"] == "login_refused.unreachable");
    CHECK(spendingVerifies() == 0);
    k.checkNothingHolds({ RIGHT_PIN });
}

TEST_CASE("the citizen card pulled on the PIN pad ends the session and the typed digits go nowhere")
{
    CitizenKiosk k("citizen");
    k.waitForPad();
    k.kiosk->send(pin("907162"));
    k.kiosk->send(card("remove", "citizen"));
    k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "notice"
            && e.value("key", "") == "home.citizen_card_removed";
    });
    k.kiosk->waitForScreen("home");
    CHECK(spendingVerifies() == 0);
    k.checkNothingHolds({ "907162" });
}

TEST_CASE(
    "an unknown card inserted for a citizen-certificate login is named as not a citizen card, "
    "and no PIN is asked")
{
    TempDir dir;
    RunningCentral central(citizenPki(), dir.path() / "central.sqlite", "central-server", 0,
        "central-receipt", centralAuthArgs(citizenPki()));
    KioskSession kiosk(
        writeKioskConfig({ citizenPki(), dir.path(), central.url(), central.resolve() }));
    kiosk.waitForScreen("home");
    kiosk.send(tap("home.citizen_cert"));
    kiosk.waitForScreen("insert_card");
    kiosk.send(card("insert", "unknown"));
    const auto error = kiosk.waitFor([](const json& e) {
        return e.value("event", "") == "error" && e.value("screen", "") == "card_error";
    });
    CHECK(error["key"] == "card_error.not_citizen_card");
    CHECK(spendingVerifies() == 0);
    CHECK(kiosk.quit() == 0);
}

TEST_CASE("with a health card in one reader and the citizen card in the other, the citizen card "
          "is the one logged in")
{
    TempDir dir;
    RunningCentral central(citizenPki(), dir.path() / "central.sqlite", "central-server", 0,
        "central-receipt", centralAuthArgs(citizenPki()));
    KioskSession kiosk(
        writeKioskConfig({ citizenPki(), dir.path(), central.url(), central.resolve() }));
    kiosk.waitForScreen("home");
    kiosk.send({ { "cmd", "card" }, { "action", "insert" }, { "kind", "health" }, { "slot", 0 } });
    kiosk.send({ { "cmd", "card" }, { "action", "insert" }, { "kind", "citizen" }, { "slot", 1 } });
    for (int seen = 0; seen < 2;) {
        kiosk.waitFor([](const json& e) {
            return e.value("event", "") == "card" && e.value("type", "") == "inserted";
        });
        ++seen;
    }
    kiosk.send(tap("home.citizen_cert"));
    const auto ready = kiosk.waitFor([](const json& e) {
        return e.value("event", "") == "card" && e.value("type", "") == "citizen_ready";
    });
    CHECK(ready["reader"] == "Virtual PCD 00 01");
    kiosk.waitForScreen("pin_entry");
    kiosk.send(pin(RIGHT_PIN));
    kiosk.send(tap("pin.confirm"));
    const auto login = kiosk.waitFor([](const json& e) { return e.value("event", "") == "login"; });
    CHECK(login["result"] == "ok");
    CHECK(spendingVerifies() == 1);
    CHECK(kiosk.quit() == 0);
}

TEST_CASE("the citizen card pulled right after the PIN is confirmed ends the session, and the "
          "card was asked at most once")
{
    CitizenKiosk k("citizen");
    k.waitForPad();
    k.kiosk->send(pin(RIGHT_PIN));
    k.kiosk->send(tap("pin.confirm"));
    k.kiosk->send(card("remove", "citizen"));
    k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "notice"
            && e.value("key", "") == "home.citizen_card_removed";
    });
    k.kiosk->waitForScreen("home");
    CHECK(spendingVerifies() <= 1);
    k.checkNothingHolds({ RIGHT_PIN });
}

TEST_CASE("with two citizen cards in two readers the kiosk asks to leave only one in and sends no "
          "PIN, and with one taken out it logs in with the other")
{
    TempDir dir;
    RunningCentral central(citizenPki(), dir.path() / "central.sqlite", "central-server", 0,
        "central-receipt", centralAuthArgs(citizenPki()));
    KioskSession kiosk(
        writeKioskConfig({ citizenPki(), dir.path(), central.url(), central.resolve() }));
    kiosk.waitForScreen("home");
    kiosk.send({ { "cmd", "card" }, { "action", "insert" }, { "kind", "citizen" }, { "slot", 0 } });
    kiosk.send({ { "cmd", "card" }, { "action", "insert" }, { "kind", "citizen" }, { "slot", 1 } });
    for (int seen = 0; seen < 2; ++seen) {
        kiosk.waitFor([](const json& e) {
            return e.value("event", "") == "card" && e.value("type", "") == "inserted";
        });
    }
    kiosk.send(tap("home.citizen_cert"));
    const auto error = kiosk.waitFor([](const json& e) {
        return e.value("event", "") == "error" && e.value("screen", "") == "card_error";
    });
    CHECK(error["key"] == "card_error.several_cards");
    CHECK_THAT(error["message"].get<std::string>(), Catch::Contains("只留下"));
    CHECK(pinVerifies() == 0);

    // The card in the first reader is taken out: the kiosk goes on with the one left, by itself.
    kiosk.send({ { "cmd", "card" }, { "action", "remove" }, { "slot", 0 } });
    const auto ready = kiosk.waitFor([](const json& e) {
        return e.value("event", "") == "card" && e.value("type", "") == "citizen_ready";
    });
    CHECK(ready["reader"] == "Virtual PCD 00 01");
    kiosk.waitForScreen("pin_entry");
    CHECK(pinVerifies() == 0);
    kiosk.send(pin(RIGHT_PIN));
    kiosk.send(tap("pin.confirm"));
    const auto login = kiosk.waitFor([](const json& e) { return e.value("event", "") == "login"; });
    CHECK(login["result"] == "ok");
    CHECK(spendingVerifies() == 1);
    CHECK(kiosk.quit() == 0);
}

// Issue 3 point 8: faults through the real parts. Each ends on a clear screen, wipes the session,
// does not crash (the kiosk quits 0), and the card sees no PIN the person did not confirm.

namespace
{
// After a fault: a fresh start asks for a card again, as in a new session (nothing kept).
void checkFreshStart(KioskSession& kiosk)
{
    kiosk.send(tap("home.citizen_cert"));
    kiosk.waitForScreen("insert_card");
    kiosk.send(tap("insert_card.cancel"));
    kiosk.waitForScreen("home");
}
} // namespace

TEST_CASE("fault: the citizen card pulled out during VERIFY ends and wipes the session, and the "
          "confirmed PIN is the only one it ever got")
{
    CitizenKiosk k("citizen-pulled-verify");
    k.waitForPad();
    k.kiosk->send(pin(RIGHT_PIN));
    k.kiosk->send(tap("pin.confirm"));
    k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "notice"
            && e.value("key", "") == "home.citizen_card_removed";
    });
    k.kiosk->waitForScreen("home");
    CHECK(pinVerifies() == 1); // the one confirmed, never sent again
    checkFreshStart(*k.kiosk);
    CHECK(pinVerifies() == 1);
    k.checkNothingHolds({ RIGHT_PIN });
}

TEST_CASE("fault: the citizen card pulled out while it signs ends and wipes the session, with no "
          "second PIN and no login")
{
    CitizenKiosk k("citizen-pulled-sign");
    k.waitForPad();
    k.kiosk->send(pin(RIGHT_PIN));
    k.kiosk->send(tap("pin.confirm"));
    k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "notice"
            && e.value("key", "") == "home.citizen_card_removed";
    });
    k.kiosk->waitForScreen("home");
    CHECK(pinVerifies() == 1);
    CHECK(spendingVerifies() == 1);
    for (const auto& e : k.kiosk->events()) {
        CHECK(e.value("event", "") != "login");
        CHECK(!(e.value("event", "") == "card" && e.value("type", "") == "signed"));
    }
    checkFreshStart(*k.kiosk);
    CHECK(pinVerifies() == 1);
    k.checkNothingHolds({ RIGHT_PIN });
}

TEST_CASE(
    "fault: the readers gone (pcscd stopped) with digits typed on the PIN pad: a card-service "
    "error, the digits forgotten, no PIN to any card")
{
    CitizenKiosk k("citizen");
    k.waitForPad();
    k.kiosk->send(pin("907162"));
    // Commands run in order: the screenshot's event says all six digits are on the pad.
    k.kiosk->send({ { "cmd", "screenshot" }, { "path", (k.dir.path() / "typed.png").string() } });
    k.kiosk->waitFor([](const json& e) { return e.value("event", "") == "screenshot"; });
    std::ifstream pidFile("/run/pcscd/pcscd.pid");
    long pcscd = 0;
    pidFile >> pcscd;
    REQUIRE(pcscd > 0);
    REQUIRE(kill(static_cast<pid_t>(pcscd), SIGTERM) == 0);
    const auto error = k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "error" && e.value("screen", "") == "card_error";
    });
    CHECK(error["key"] == "card_error.no_service");
    // It stays (the card's removal that follows is not "card pulled"); the pad is gone.
    k.kiosk->send({ { "cmd", "screenshot" }, { "path", (k.dir.path() / "error.png").string() } });
    k.kiosk->waitFor([](const json& e) { return e.value("event", "") == "screenshot"; });
    k.kiosk->send(tap("card_error.home"));
    k.kiosk->waitForScreen("home");
    CHECK(pinVerifies() == 0);
    k.checkNothingHolds({ "907162" });
}

TEST_CASE("fault: a citizen card with a corrupt certificate is a card error before any PIN is "
          "asked")
{
    CitizenKiosk k("citizen-corrupt");
    const auto error = k.kiosk->waitFor([](const json& e) {
        return e.value("event", "") == "error" && e.value("screen", "") == "card_error";
    });
    CHECK(error["key"] == "card_error.no_certificate");
    CHECK(pinVerifies() == 0);
    for (const auto& e : k.kiosk->events())
        CHECK(e.value("event", "") != "pin");
    k.kiosk->send(tap("card_error.home"));
    k.kiosk->waitForScreen("home");
    CHECK(pinVerifies() == 0);
    CHECK(k.kiosk->quit() == 0);
}

// Issue 3 point 7: a PIN-pad reader, through the real kiosk, pcscd and central, with a MOCK
// PKCS#11 module (tests/e2e/fake_pinpad_pkcs11.cpp) in place of OpenSC: the virtual reader cannot
// offer a keypad, so no real module would report a protected authentication path here.
TEST_CASE(
    "a PIN-pad reader (mock module): the screen says to type the PIN on the reader within its "
    "timeout, and timeout, cancel and wrong length each have their own message and count no "
    "try, a wrong PIN does")
{
    const char* mock = std::getenv("SHENSU_FAKE_P11_MODULE");
    REQUIRE(mock != nullptr);
    TempDir dir;
    const auto script = dir.path() / "reader-does";
    const auto log = dir.path() / "module.log";
    REQUIRE(setenv("SHENSU_FAKE_P11_READER", "Virtual PCD 00 00", 1) == 0);
    REQUIRE(setenv("SHENSU_FAKE_P11_CERT", (citizenPki() / "citizen.pem").c_str(), 1) == 0);
    REQUIRE(setenv("SHENSU_FAKE_P11_SCRIPT", script.c_str(), 1) == 0);
    REQUIRE(setenv("SHENSU_FAKE_P11_LOG", log.c_str(), 1) == 0);
    RunningCentral central(citizenPki(), dir.path() / "central.sqlite", "central-server", 0,
        "central-receipt", centralAuthArgs(citizenPki()));
    KioskSession kiosk(
        writeKioskConfig({ citizenPki(), dir.path(), central.url(), central.resolve() },
            { { "pkcs11Module", mock }, { "readerPinTimeoutSeconds", 2 },
                { "stateDir", (dir.path() / "state").string() } }));
    kiosk.waitForScreen("home");
    kiosk.send(card("insert", "citizen"));
    kiosk.waitFor([](const json& e) {
        return e.value("event", "") == "card" && e.value("type", "") == "inserted";
    });
    kiosk.send(tap("home.citizen_cert"));
    const auto pad = kiosk.waitFor([](const json& e) { return e.value("event", "") == "pin"; });
    CHECK(pad["onReader"] == true);
    CHECK(pad["timeoutSeconds"] == 2);
    CHECK_THAT(pad["body"].get<std::string>(), Catch::Contains("2 秒內於讀卡機上輸入"));
    CHECK(pad["triesLeft"] == 3);

    const auto readerDoes = [&](const std::string& what) {
        writeFile(script, what + "\n");
        kiosk.send(tap("pin.confirm")); // 開始
        return kiosk.waitFor([](const json& e) { return e.value("event", "") == "pin"; });
    };
    const auto noTryCounted = [&](const json& again) {
        CHECK(again["triesLeft"] == 3);
        const auto counts = dir.path() / "state" / "pin-failures";
        CHECK((!std::filesystem::exists(counts) || readFile(counts).empty()));
    };
    auto again = readerDoes("wait 2300"); // nobody typed: the module answers after the wait
    CHECK(again["key"] == "pin.reader_timeout");
    noTryCounted(again);
    again = readerDoes("cancel");
    CHECK(again["key"] == "pin.reader_cancelled");
    noTryCounted(again);
    again = readerDoes("length");
    CHECK(again["key"] == "pin.reader_length");
    noTryCounted(again);
    again = readerDoes("incorrect");
    CHECK(again["key"] == "pin.wrong");
    CHECK(again["triesLeft"] == 2); // the kiosk's own count: the mock's token sets no flags
    CHECK(readFile(dir.path() / "state" / "pin-failures").substr(64, 3) == " 1 ");

    // Every login went to the reader's keypad: the kiosk never handed the module a PIN, and the
    // card itself got no VERIFY from the kiosk (the mock never talks to it).
    CHECK(readFile(log) == "login pin=none\nlogin pin=none\nlogin pin=none\nlogin pin=none\n");
    CHECK(pinVerifies() == 0);
    CHECK(kiosk.quit() == 0);
}
