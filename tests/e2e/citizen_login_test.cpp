// The citizen-certificate login end to end: the real kiosk headless, stock OpenSC's PKCS#11 module,
// a real pcscd, the simulated PIV citizen card (its APDU log tells what the card really received)
// and a real central with its login service (test MOICA CA + CRL, synthetic personnel directory).
#include "central.hpp"
#include "kiosk.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
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
        REQUIRE(kiosk->quit() == 0);
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
